"""The plugin's GraphQL API, merged into Saleor's schema at /graphql/."""

"""Benchmarks of saleor-ecrm-plugin. They print figures and never fail on timing."""

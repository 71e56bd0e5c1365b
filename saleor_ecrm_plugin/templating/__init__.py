"""Template tag libraries the plugin's templates need where the host lacks them."""

"""Identity of the plugin in Saleor (kept apart so any module can import it cheaply)."""

PLUGIN_ID = "saleor_ecrm_plugin.ecrm"
PLUGIN_NAME = "e-CRM"
DEFAULT_ACTIVE = True

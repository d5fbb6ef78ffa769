"""Django format modules (FORMAT_MODULE_PATH) for locales Django does not ship, such as en-IN."""

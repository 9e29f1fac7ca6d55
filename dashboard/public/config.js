// Development stand-in: the binary serves its own /config.js with the configured API URL.
window.LMP_CONFIG = { apiBaseUrl: "" };

"""The API's views, one module per noun; each reads its services from the app's ``ApiContext``."""

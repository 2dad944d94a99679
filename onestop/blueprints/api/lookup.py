"""Public lookup and feedback endpoints of the API."""

"""Member and staff web pages. Each view reads input, calls a selector or a service, and renders the answer."""

PAGE_SIZE = 25

"""The Shop's routes: pages for customers and operators, and the small JSON endpoints their scripts use."""

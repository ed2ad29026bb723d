"""Capabilities, one module each: async, keyword-only, no web objects, no strawberry."""

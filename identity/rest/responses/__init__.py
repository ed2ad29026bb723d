"""The documented answers of the REST routes, as TypedDicts: what ``/openapi.json`` says each
route answers with. The handlers build these dicts (``identity.rest.shapes``), byte for byte
as the seeds pin them; the route tables name the type of each route's answer
(``row(..., response=...)``), and the contract test checks real answers against them.
"""

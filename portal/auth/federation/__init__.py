"""Federated login: the portal as OpenID Connect relying party of companies' identity providers.

models.py   a company's identity provider, the email domains it serves, linked identities
secrets.py  client secrets encrypted at rest (key derived from SECRET_KEY)
client.py   discovery, JWKS, authorization request, code exchange and ID token validation (Authlib)
services.py configuration, domain lookup, require-SSO, provisioning and account linking
views.py    the `federation` blueprint: configuration page, login start, callback, link page
"""

"""Partnerships between companies, their back-end systems (audiences), entitlements granted to
partner companies, and the audit log of every change and token issuance.

The OpenID Provider (portal.auth.provider) reads what goes into tokens through
portal.partnerships.claims only.
"""

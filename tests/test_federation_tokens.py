"""ID token and discovery checks of the relying party, against a real JWKS served on loopback."""

from __future__ import annotations

import time

import pytest
from joserfc.jwk import RSAKey

from portal.auth.federation import client
from portal.auth.federation.client import FederationError, ProviderDirectory
from portal.errors import DomainError
from tests.test_federation_support import (  # noqa: F401 - fixtures
    CLIENT_ID,
    FakeIdP,
    directory_fixture,
    idp_fixture,
    relying_party,
)

NONCE = "n-0S6_WzA2Mj"


def _validate(idp, directory, token, nonce=NONCE, **kwargs):
    metadata = directory.discover(idp.issuer)
    return client.validate_id_token(directory, metadata, relying_party(idp), token, nonce, **kwargs)


def test_a_good_id_token_gives_its_claims(idp, directory):
    claims = _validate(idp, directory, idp.sign(idp.claims(NONCE)))
    assert claims["sub"] == "idp-user-1" and claims["email"] == "nina@acme.example"


@pytest.mark.parametrize("overrides", [
    {"iss": "https://evil.example"},                       # another issuer
    {"iss": "http://127.0.0.1:1"},                         # same host family, other issuer
    {"aud": "someone-else"},                               # another client's token
    {"aud": ["someone-else", "another"]},
    {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},   # expired
    {"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200},   # issued in the future
    {"nonce": "replayed-nonce"},                           # nonce of another flow
    {"nonce": None},                                       # nonce sent but not echoed
    {"sub": None},
    {"exp": None},
])
def test_claims_that_do_not_fit_are_refused(idp, directory, overrides):
    claims = {**idp.claims(NONCE), **overrides}
    with pytest.raises(FederationError):
        _validate(idp, directory, idp.sign({k: v for k, v in claims.items() if v is not None}))


def test_several_audiences_need_azp_naming_us(idp, directory):
    with pytest.raises(FederationError):
        _validate(idp, directory, idp.sign(idp.claims(NONCE, aud=[CLIENT_ID, "other"])))
    with pytest.raises(FederationError):
        _validate(idp, directory, idp.sign(idp.claims(NONCE, aud=[CLIENT_ID, "other"], azp="other")))
    claims = _validate(idp, directory, idp.sign(idp.claims(NONCE, aud=[CLIENT_ID, "other"], azp=CLIENT_ID)))
    assert claims["azp"] == CLIENT_ID


def test_an_empty_expected_nonce_never_matches(idp, directory):
    with pytest.raises(FederationError):
        _validate(idp, directory, idp.sign(idp.claims("")), nonce="")


def test_alg_none_is_refused_even_when_discovery_announces_it(idp, directory):
    idp.extra_metadata["id_token_signing_alg_values_supported"] = ["none", "RS256"]
    with pytest.raises(FederationError):
        _validate(idp, directory, FakeIdP.unsigned(idp.claims(NONCE)))


def test_hs256_signed_with_the_client_secret_is_refused(idp, directory):
    idp.extra_metadata["id_token_signing_alg_values_supported"] = ["RS256", "HS256"]
    with pytest.raises(FederationError):
        _validate(idp, directory, idp.hs256_with_client_secret(idp.claims(NONCE)))


def test_an_algorithm_the_provider_does_not_announce_is_refused(idp, directory):
    idp.extra_metadata["id_token_signing_alg_values_supported"] = ["ES256"]
    idp.published.append(RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    with pytest.raises(FederationError):
        _validate(idp, directory, idp.sign(idp.claims(NONCE)))


def test_a_tampered_token_is_refused(idp, directory):
    token = idp.sign(idp.claims(NONCE))
    header, payload, signature = token.split(".")
    forged = idp.sign(idp.claims(NONCE, sub="admin")).split(".")[1]
    with pytest.raises(FederationError):
        _validate(idp, directory, f"{header}.{forged}.{signature}")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    with pytest.raises(FederationError):
        _validate(idp, directory, f"{header}.{payload}.{flipped}")


def test_a_key_the_provider_never_published_is_refused_after_one_refresh(idp, directory):
    _validate(idp, directory, idp.sign(idp.claims(NONCE)))
    before = idp.jwks_fetches
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k9"})
    with pytest.raises(FederationError):
        _validate(idp, directory, idp.sign(idp.claims(NONCE), key=stranger, kid="k9"))
    assert idp.jwks_fetches == before + 1
    # An unknown key under a known kid fails the signature check without any refetch.
    with pytest.raises(FederationError):
        _validate(idp, directory, idp.sign(idp.claims(NONCE), key=stranger, kid="k1"))
    assert idp.jwks_fetches == before + 1


def test_key_rotation_is_picked_up_by_refreshing_the_jwks_once(idp, directory):
    _validate(idp, directory, idp.sign(idp.claims(NONCE)))
    assert idp.jwks_fetches == 1
    idp.rotate("k2")
    claims = _validate(idp, directory, idp.sign(idp.claims(NONCE), kid="k2"))
    assert claims["sub"] == "idp-user-1" and idp.jwks_fetches == 2
    _validate(idp, directory, idp.sign(idp.claims(NONCE), kid="k2"))
    assert idp.jwks_fetches == 2  # cached


def test_jwks_refreshes_are_rate_limited(idp):
    directory = ProviderDirectory(allow_http_loopback=True, timeout=3, min_jwks_refresh=60)
    _validate(idp, directory, idp.sign(idp.claims(NONCE)))
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k9"})
    for _ in range(3):
        with pytest.raises(FederationError):
            _validate(idp, directory, idp.sign(idp.claims(NONCE), key=stranger, kid="k9"))
    assert idp.jwks_fetches == 1  # random kids cannot make us hammer the provider


# --- Discovery --------------------------------------------------------------------------------

def test_discovery_is_fetched_once_and_cached(idp, directory):
    first = directory.discover(idp.issuer)
    assert directory.discover(idp.issuer) is first


def test_discovery_must_name_exactly_the_configured_issuer(idp, directory):
    with pytest.raises(DomainError, match="names the issuer"):
        directory.discover(idp.issuer + "/")
    idp.extra_metadata["issuer"] = "https://login.other.example"
    with pytest.raises(DomainError, match="names the issuer"):
        directory.discover(idp.issuer)


def test_http_issuers_need_loopback_and_the_setting(idp):
    with pytest.raises(DomainError, match="https"):
        ProviderDirectory(allow_http_loopback=False).discover(idp.issuer)
    with pytest.raises(DomainError, match="https"):
        ProviderDirectory(allow_http_loopback=True).discover("http://idp.example.com")
    with pytest.raises(DomainError, match="user name"):
        ProviderDirectory(allow_http_loopback=True).discover("https://idp.example.com@evil.example")


def test_endpoints_in_discovery_must_be_https_too(idp, directory):
    idp.extra_metadata["token_endpoint"] = "http://tokens.example.com/token"
    with pytest.raises(DomainError, match="token_endpoint must use https"):
        directory.discover(idp.issuer)


def test_a_provider_that_only_offers_none_or_hmac_is_refused(idp, directory):
    idp.extra_metadata["id_token_signing_alg_values_supported"] = ["none", "HS256"]
    with pytest.raises(DomainError, match="algorithms we do not accept"):
        directory.discover(idp.issuer)


def test_an_unreachable_provider_gives_a_clear_error():
    directory = ProviderDirectory(allow_http_loopback=True, timeout=1)
    with pytest.raises(DomainError, match="Could not read the provider's discovery document"):
        directory.discover("http://127.0.0.1:9")


# --- Mix-up (RFC 9207) ------------------------------------------------------------------------

def test_the_iss_response_parameter_must_name_the_provider_the_flow_started_with(idp, directory):
    metadata = directory.discover(idp.issuer)
    client.check_response_issuer({"iss": idp.issuer, "code": "c"}, metadata, idp.issuer)
    client.check_response_issuer({"code": "c"}, metadata, idp.issuer)  # not announced: may be absent
    with pytest.raises(FederationError, match="different identity provider"):
        client.check_response_issuer({"iss": "https://idp-b.example", "code": "c"}, metadata, idp.issuer)
    metadata = {**metadata, "authorization_response_iss_parameter_supported": True}
    with pytest.raises(FederationError, match="missing its issuer"):
        client.check_response_issuer({"code": "c"}, metadata, idp.issuer)


def test_a_token_from_provider_b_does_not_pass_for_provider_a(directory):
    a, b = FakeIdP(), FakeIdP()
    try:
        metadata_a = directory.discover(a.issuer)
        # B signs a perfectly valid token for itself, with the same kid and the same client id.
        with pytest.raises(FederationError):
            client.validate_id_token(directory, metadata_a, relying_party(a), b.sign(b.claims(NONCE)), NONCE)
        # Even when B claims to be A, A's keys do not verify B's signature.
        with pytest.raises(FederationError):
            client.validate_id_token(directory, metadata_a, relying_party(a),
                                     b.sign(b.claims(NONCE, iss=a.issuer)), NONCE)
    finally:
        a.stop()
        b.stop()

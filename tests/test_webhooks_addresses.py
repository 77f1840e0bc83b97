"""The SSRF guard: which URLs and addresses webhooks may go to."""

from __future__ import annotations

import pytest

from portal.webhooks.addresses import AddressPolicy, AddressRefused, check_destination, parse_networks

PUBLIC = AddressPolicy()


def resolves_to(*addresses: str):
    """A resolver that answers every name with `addresses` (what a hostile DNS server could do)."""
    def resolve(host: str, port: int) -> list[str]:
        return list(addresses)
    return resolve


@pytest.mark.parametrize("url, reason", [
    ("https://127.0.0.1/hook", "loopback"),
    ("https://127.8.9.10:8443/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),  # IPv4-mapped IPv6
    ("https://10.1.2.3/hook", "private"),
    ("https://172.16.0.9/hook", "private"),
    ("https://192.168.1.1/hook", "private"),
    ("https://[fd00::1]/hook", "private"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://100.64.0.1/hook", "reserved"),  # carrier-grade NAT, not on the internet
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://240.0.0.1/hook", "reserved"),
])
def test_private_loopback_link_local_and_reserved_addresses_are_refused(url, reason):
    with pytest.raises(AddressRefused) as refused:
        check_destination(url, PUBLIC, resolves_to("93.184.215.14"))
    assert reason in refused.value.message
    assert refused.value.field == "url"


@pytest.mark.parametrize("answers", [["127.0.0.1"], ["::1"], ["10.0.0.5"], ["169.254.169.254"],
                                     ["93.184.215.14", "127.0.0.1"]])  # one bad answer among good ones is enough
def test_a_host_name_resolving_to_a_forbidden_address_is_refused(answers):
    with pytest.raises(AddressRefused) as refused:
        check_destination("https://hooks.example.com/in", PUBLIC, resolves_to(*answers))
    assert "hooks.example.com" in refused.value.message


def test_localhost_is_refused_through_the_real_resolver():
    with pytest.raises(AddressRefused, match="loopback"):
        check_destination("https://localhost:8443/hook", PUBLIC)


def test_a_public_address_passes_with_the_addresses_to_connect_to():
    destination = check_destination("https://Hooks.Example.com:8443/in/x?a=1", PUBLIC,
                                    resolves_to("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"))
    assert destination.host == "hooks.example.com"
    assert destination.port == 8443 and destination.target == "/in/x?a=1"
    assert destination.addresses == ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    assert destination.host_header == "hooks.example.com:8443"


@pytest.mark.parametrize("url, message", [
    ("http://hooks.example.com/in", "https://"),
    ("ftp://hooks.example.com/in", "https://"),
    ("https://user:pw@hooks.example.com/in", "user name or password"),
    ("https:///in", "no host"),
    ("https://hooks.example.com:99999/in", "not a valid URL"),
    ("https://hooks.example.com/in#frag", "fragment"),
    ("https://hooks.exa mple.com/in", "spaces"),
    ("", "enter the URL"),
    ("https://hooks.example.com/" + "a" * 2000, "too long"),
])
def test_malformed_urls_are_refused_with_a_reason(url, message):
    with pytest.raises(AddressRefused) as refused:
        check_destination(url, PUBLIC, resolves_to("93.184.215.14"))
    assert message in refused.value.message


def test_an_unresolvable_name_is_refused():
    with pytest.raises(AddressRefused, match="could not be resolved"):
        check_destination("https://no-such-host.invalid/hook", PUBLIC)


def test_allowed_networks_open_exactly_those_addresses_and_http_only_when_allowed():
    policy = AddressPolicy(allowed_networks=parse_networks("127.0.0.0/8, ::1"), allow_http=True)
    assert check_destination("http://127.0.0.1:9000/x", policy).addresses == ["127.0.0.1"]
    assert check_destination("http://[::1]:9000/x", policy).addresses == ["::1"]
    for still_refused in ("http://10.0.0.1/x", "http://169.254.169.254/x", "http://224.0.0.1/x"):
        with pytest.raises(AddressRefused):
            check_destination(still_refused, policy)
    with pytest.raises(AddressRefused, match="multicast"):
        check_destination("https://224.0.0.1/x", AddressPolicy(parse_networks("224.0.0.0/4")))


def test_a_bad_network_in_the_setting_names_itself():
    with pytest.raises(ValueError, match="'10.0.0.0/33'"):
        parse_networks("127.0.0.1, 10.0.0.0/33")


def test_an_internationalized_host_name_is_resolved_and_sent_in_its_ascii_form():
    asked = []
    destination = check_destination("https://bücher.example/in", PUBLIC,
                                    lambda host, port: asked.append(host) or ["93.184.215.14"])
    assert asked == ["xn--bcher-kva.example"] and destination.host_header == "xn--bcher-kva.example"


def test_retry_after_in_seconds_or_as_a_date():
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from portal.webhooks.sender import retry_after

    assert retry_after("120") == 120
    in_an_hour = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    assert 3500 < retry_after(in_an_hour) <= 3600
    assert retry_after("soon") is None and retry_after(None) is None

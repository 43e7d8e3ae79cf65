"""RolePolicy and ADMIN_EMAILS: admin exactly for verified configured addresses; the setting and the template's
AdminEmails pattern accept the same values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from samtranslator.yaml_helper import yaml_parse

from imagepredict.auth.roles import RolePolicy
from imagepredict.settings import EMAIL_LIST_PATTERN, SettingsError, email_list_setting

ROOT = Path(__file__).resolve().parents[2]
PARAMETER = yaml_parse((ROOT / "template.yaml").read_text())["Parameters"]["AdminEmails"]
ADDRESS = st.from_regex(r"[a-zA-Z0-9.+_-]{1,12}@[a-zA-Z0-9-]{1,10}\.[a-z]{2,4}", fullmatch=True)


@given(configured=st.lists(ADDRESS, max_size=4), email=ADDRESS, verified=st.booleans())
def test_admin_is_a_verified_configured_address(configured: list[str], email: str, verified: bool) -> None:
    policy = RolePolicy.of(configured)
    expected = verified and email.lower() in {address.lower() for address in configured}
    assert policy.role_for(email.lower(), email_verified=verified) == ("admin" if expected else "user")


def test_the_template_and_the_setting_use_one_pattern() -> None:
    assert PARAMETER["AllowedPattern"] == EMAIL_LIST_PATTERN
    assert PARAMETER["Default"] == ""


@given(addresses=st.lists(ADDRESS, min_size=1, max_size=4), spaces=st.sampled_from(["", " ", "  "]))
def test_a_list_of_addresses_is_read_lower_cased(addresses: list[str], spaces: str) -> None:
    raw = f",{spaces}".join(f"{spaces}{address}" for address in addresses)
    assert email_list_setting({"ADMIN_EMAILS": raw}, "ADMIN_EMAILS") == tuple(
        dict.fromkeys(address.lower() for address in addresses)
    )


@given(raw=st.text(max_size=40))
def test_any_text_is_a_list_of_addresses_or_refused_as_the_template_would(raw: str) -> None:
    if re.fullmatch(EMAIL_LIST_PATTERN, raw, re.ASCII) is None:
        with pytest.raises(SettingsError, match=r"^ADMIN_EMAILS must be email addresses separated by commas$"):
            email_list_setting({"ADMIN_EMAILS": raw}, "ADMIN_EMAILS")
        return
    addresses = email_list_setting({"ADMIN_EMAILS": raw}, "ADMIN_EMAILS")
    assert all(address.count("@") == 1 and address == address.strip().lower() for address in addresses)


@pytest.mark.parametrize("raw", ["a@b,", ",a@b", "a@b,,c@d", "a b@c", "a@b@c", "not-an-address", "a@b\n"])
def test_malformed_lists_are_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match="ADMIN_EMAILS"):
        email_list_setting({"ADMIN_EMAILS": raw}, "ADMIN_EMAILS")

"""Credentials in text: a file that holds one is never indexed, and no source sent to a
model carries one.

The rules are detect-secrets' regex plugins (Yelp's maintained rule set, used here as a
library: AWS, GitHub, GitLab, Slack, Stripe, JWTs, PyPI, npm, SendGrid, Twilio, …)
plus the patterns it lacks that gitleaks has (fine-grained GitHub tokens, Google API
keys, lone AWS secret keys, kubeconfig client keys, OpenAI-style `sk-` keys, Vault
tokens) and a stricter private-key rule. Left out on purpose: the entropy and keyword
detectors and public IP addresses (they flag ordinary prose and code), Telegram tokens
(AWS ARNs look like them), and vendor rules whose regexes cost seconds per megabyte.
docs/SECURITY.md has the false-positive measurement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

# detect-secrets plugin class -> what a user is told was found
_DETECT_SECRETS = {
    "AWSKeyDetector": "an AWS access key",
    "AzureStorageKeyDetector": "an Azure storage key",
    "BasicAuthDetector": "a password in a URL",
    "DiscordBotTokenDetector": "a Discord bot token",
    "GitHubTokenDetector": "a GitHub token",
    "GitLabTokenDetector": "a GitLab token",
    "JwtTokenDetector": "a JSON web token",
    "MailchimpDetector": "a Mailchimp key",
    "NpmDetector": "an npm token",
    "OpenAIDetector": "an OpenAI key",
    "PypiTokenDetector": "a PyPI token",
    "SendGridDetector": "a SendGrid key",
    "SlackDetector": "a Slack token",
    "SquareOAuthDetector": "a Square OAuth secret",
    "StripeDetector": "a Stripe key",
    "TwilioKeyDetector": "a Twilio key",
}

_EXTRA = [
    # detect-secrets' PrivateKeyDetector matches "BEGIN RSA PRIVATE KEY" in prose too
    (r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----", "a private key"),
    (r"(?m)^PuTTY-User-Key-File-\d+: ", "a private key"),
    (r"\bgithub_pat_[A-Za-z0-9_]{50,}", "a GitHub token"),
    (r"\bgh[pousr]_[A-Za-z0-9]{36,}", "a GitHub token"),
    (r"\bAIza[0-9A-Za-z_-]{35}", "a Google API key"),
    (
        r"(?i)aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])",
        "an AWS secret key",
    ),
    (r"\bclient-key-data:\s*[A-Za-z0-9+/=]{40,}", "a kubeconfig client key"),
    (r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{32,}", "an API secret key"),
    (r"\bhvs\.[A-Za-z0-9_-]{90,}", "a Vault token"),
    (r"\bxox[baprs]-[A-Za-z0-9-]{10,}", "a Slack token"),
]

# Example credentials in documentation ("https://user:pass@host") are not secrets.
_PLACEHOLDER = re.compile(
    r"(?i)^(?:.{0,5}|pass(?:word|wd)?|secret|changeme|example|x+|\*+|[$<{%].*)$"
)


_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----.*?(?:-----END [A-Z0-9 ]*-----|\Z)", re.DOTALL
)


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    what: str
    password_group: bool = False  # group 1 is a password: skip documentation placeholders

    def find(self, text: str) -> re.Match[str] | None:
        for match in self.pattern.finditer(text):
            if "EXAMPLE" in match.group():  # AWS's documented AKIAIOSFODNN7EXAMPLE and kin
                continue
            if not (self.password_group and _PLACEHOLDER.match(match.group(1) or "")):
                return match
        return None


@cache
def rules() -> tuple[Rule, ...]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    found = [Rule(re.compile(p), what) for p, what in _EXTRA]
    plugin: Any
    for plugin in get_mapping_from_secret_type_to_class().values():
        what = _DETECT_SECRETS.get(plugin.__name__)
        if what is not None:
            url = plugin.__name__ == "BasicAuthDetector"
            found += [Rule(p, what, password_group=url) for p in plugin().denylist]
    return tuple(found)


def secret_in_text(text: str) -> str | None:
    """What kind of credential `text` holds, if any (then its file is not indexed)."""
    for rule in rules():
        if rule.find(text):
            return f"secret: contains {rule.what}"
    return None


def redact(text: str) -> str:
    """`text` with every credential replaced, for what is sent to a model."""
    text = _KEY_BLOCK.sub("[private key removed]", text)
    for rule in rules():
        while (match := rule.find(text)) is not None:
            text = text[: match.start()] + "[secret removed]" + text[match.end() :]
    return text

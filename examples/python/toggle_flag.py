"""Creates a feature flag, turns it off and on again, shows its history, then deletes it.

    POSTHOG_PERSONAL_API_KEY=phx_... [POSTHOG_HOST=https://eu.posthog.com] python toggle_flag.py [key]
"""

from __future__ import annotations

import sys

import posthog_sdk


def main() -> int:
    key = sys.argv[1] if len(sys.argv) > 1 else "example-toggle"
    with posthog_sdk.AdminClient() as admin:
        flag = admin.feature_flags.create(key, name="Toggled by the example", rollout_percentage=20)
        print(f"created {flag['key']} (id {flag['id']}) active={flag['active']}")
        flag = admin.feature_flags.set_active(flag["id"], False)
        print(f"toggled: active={flag['active']}")
        flag = admin.feature_flags.set_active(flag["id"], True)
        print(f"toggled: active={flag['active']}")
        for entry in admin.feature_flags.activity(flag["id"]):
            print(f"  history: {entry['activity']}")
        admin.feature_flags.delete(flag["id"])
        print("deleted")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except posthog_sdk.ForbiddenError as e:
        print(f"the key lacks a scope: {e.scope}", file=sys.stderr)
        sys.exit(1)

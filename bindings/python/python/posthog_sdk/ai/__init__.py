"""LLM analytics: wrappers for the OpenAI and Anthropic clients that capture ``$ai_generation``
and ``$ai_embedding`` events (posthog-python's ``posthog.ai``), plus ``capture_trace`` /
``capture_span`` for your own ``$ai_trace`` / ``$ai_span`` events.

The events are built by the core (token counts, input/output formatting, privacy mode) from
the provider's request and response; the wrappers only time the call and hand them over::

    from posthog_sdk import Posthog
    from posthog_sdk.ai.openai import OpenAI

    posthog = Posthog("phc_…", host="https://us.i.posthog.com")
    client = OpenAI(api_key="sk-…", posthog_client=posthog)
    client.chat.completions.create(model="gpt-4o-mini", messages=[…], posthog_distinct_id="user-1")
"""

from ._capture import capture_span, capture_trace

__all__ = ["capture_span", "capture_trace"]

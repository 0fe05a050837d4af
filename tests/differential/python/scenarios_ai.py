"""LLM-analytics scenarios (issue #12): the same OpenAI / Anthropic calls through the official
wrappers (`posthog.ai.openai`, `posthog.ai.anthropic`) and through `posthog_sdk.ai`'s, with the
real `openai` and `anthropic` packages pointed at a fake provider on 127.0.0.1 (the one of
bindings/python/tests/ai_fake.py); the harness compares the `$ai_generation` / `$ai_embedding`
events. Registered into `scenarios.SCENARIOS`."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path

from scenarios import attempt, client, close, neutral_exc, scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bindings" / "python" / "tests"))

from ai_fake import FakeProvider  # noqa: E402

MESSAGES = [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Say hello"}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}]


def _wrappers(ph):
    """The package's `ai.openai` and `ai.anthropic` modules."""
    return importlib.import_module(ph.__name__ + ".ai.openai"), importlib.import_module(ph.__name__ + ".ai.anthropic")


def _raises(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the provider's error, in neutral form
        return {"raised": neutral_exc(e)}
    return {"raised": None}


@scenario
def ai_openai_chat(ph, srv):
    """Chat completions: plain (properties, groups, tools, temperature), streamed, privacy mode,
    a personless call, and a provider error (400)."""
    ai_openai, _ = _wrappers(ph)
    posthog = client(ph, srv)
    fake = FakeProvider()
    out = {}
    try:
        oa = ai_openai.OpenAI(api_key="sk-test", base_url=fake.url + "/v1", posthog_client=posthog, max_retries=0)
        r = oa.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, temperature=0.2, max_tokens=50, tools=TOOLS,
            posthog_distinct_id="ai-user", posthog_trace_id="trace-chat", posthog_properties={"team": "ai"},
            posthog_groups={"company": "acme"},
        )
        out["content"] = r.choices[0].message.content
        stream = oa.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, posthog_distinct_id="ai-user", posthog_trace_id="trace-stream"
        )
        out["streamed"] = "".join((c.choices[0].delta.content or "") for c in stream if c.choices)
        oa.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, posthog_distinct_id="ai-user", posthog_trace_id="trace-private",
            posthog_privacy_mode=True,
        )
        oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, posthog_trace_id="trace-personless")
        fake.fail_with = 400
        out["error"] = _raises(lambda: oa.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, posthog_distinct_id="ai-user", posthog_trace_id="trace-error"
        ))
    finally:
        fake.close()
    out.update(close(posthog))
    return out


@scenario
def ai_openai_responses_embeddings(ph, srv):
    """The responses API (with instructions; plain and streamed) and embeddings."""
    ai_openai, _ = _wrappers(ph)
    posthog = client(ph, srv)
    fake = FakeProvider()
    out = {}
    try:
        oa = ai_openai.OpenAI(api_key="sk-test", base_url=fake.url + "/v1", posthog_client=posthog, max_retries=0)
        r = oa.responses.create(
            model="gpt-4.1-mini", input="hi", instructions="Be nice", posthog_distinct_id="ai-user", posthog_trace_id="trace-resp"
        )
        out["text"] = r.output_text
        kinds = [e.type for e in oa.responses.create(
            model="gpt-4.1-mini", input=[{"role": "user", "content": "hi"}], stream=True,
            posthog_distinct_id="ai-user", posthog_trace_id="trace-resp-stream",
        )]
        out["last_event"] = kinds[-1]
        e = oa.embeddings.create(model="text-embedding-3-small", input="abc", posthog_distinct_id="ai-user", posthog_trace_id="trace-emb")
        out["dims"] = len(e.data[0].embedding)
    finally:
        fake.close()
    out.update(close(posthog))
    return out


@scenario
def ai_anthropic_messages(ph, srv):
    """Anthropic messages: plain (system prompt) and streamed."""
    _, ai_anthropic = _wrappers(ph)
    posthog = client(ph, srv)
    fake = FakeProvider()
    out = {}
    try:
        an = ai_anthropic.Anthropic(api_key="sk-ant", base_url=fake.url, posthog_client=posthog, max_retries=0)
        m = an.messages.create(
            model="claude-3-5-haiku-latest", max_tokens=50, system="Be brief", messages=[{"role": "user", "content": "Hi"}],
            posthog_distinct_id="ai-user", posthog_trace_id="trace-claude",
        )
        out["text"] = m.content[0].text
        kinds = [e.type for e in an.messages.create(
            model="claude-3-5-haiku-latest", max_tokens=50, stream=True, messages=[{"role": "user", "content": "Hi"}],
            posthog_distinct_id="ai-user", posthog_trace_id="trace-claude-stream",
        )]
        out["last_event"] = kinds[-1]
    finally:
        fake.close()
    out.update(close(posthog))
    return out


@scenario
def ai_async_openai(ph, srv):
    """AsyncOpenAI: a plain and a streamed chat completion."""
    ai_openai, _ = _wrappers(ph)
    posthog = client(ph, srv)
    fake = FakeProvider()

    async def run():
        oa = ai_openai.AsyncOpenAI(api_key="sk-test", base_url=fake.url + "/v1", posthog_client=posthog, max_retries=0)
        r = await oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, posthog_distinct_id="ai-user", posthog_trace_id="trace-async")
        s = await oa.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, posthog_distinct_id="ai-user", posthog_trace_id="trace-async-stream"
        )
        parts = [c.choices[0].delta.content or "" async for c in s if c.choices]
        return {"content": r.choices[0].message.content, "streamed": "".join(parts)}

    try:
        out = {"run": attempt(lambda: asyncio.run(run()))}
    finally:
        fake.close()
    out.update(close(posthog))
    return out

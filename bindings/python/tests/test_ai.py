"""LLM analytics: posthog_sdk.ai's OpenAI and Anthropic wrappers against a fake provider on
127.0.0.1, events asserted at the test server."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Iterator

import pytest

from ai_fake import FakeProvider, fake_provider
from conftest import API_KEY, TestServer
from posthog_sdk import Posthog
from posthog_sdk.ai import capture_span, capture_trace
from posthog_sdk.ai.anthropic import Anthropic, AsyncAnthropic
from posthog_sdk.ai.openai import AsyncOpenAI, OpenAI

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")

MESSAGES = [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Say hello"}]


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    yield from fake_provider()


@pytest.fixture
def ph(server: TestServer) -> Iterator[Posthog]:
    client = Posthog(API_KEY, host=server.url, flush_at=1000, flush_interval=3600)
    yield client
    client.shutdown()


def one_event(server: TestServer, ph: Posthog) -> Dict[str, Any]:
    ph.flush()
    events = server.wait(1)
    assert len(events) == 1, events
    return events[0]


def openai_client(ph: Posthog, provider: FakeProvider, **kw: Any) -> OpenAI:
    return OpenAI(api_key="sk-test", base_url=provider.url + "/v1", posthog_client=ph, max_retries=0, **kw)


def test_chat_completion_event(server: TestServer, ph: Posthog, provider: FakeProvider) -> None:
    client = openai_client(ph, provider)
    result = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, temperature=0.2,
        posthog_distinct_id="user-1", posthog_trace_id="trace-1",
        posthog_properties={"team": "ai"}, posthog_groups={"company": "acme"},
    )
    # What the caller gets back is openai's own object, unchanged.
    assert isinstance(result, openai.types.chat.ChatCompletion)
    assert result.choices[0].message.content == "Hello there"
    assert "posthog_distinct_id" not in provider.bodies[-1]
    ev = one_event(server, ph)
    p = ev["properties"]
    assert ev["event"] == "$ai_generation"
    assert ev["distinct_id"] == "user-1"
    assert p["$ai_trace_id"] == "trace-1"
    assert p["$ai_provider"] == "openai"
    assert p["$ai_model"] == "gpt-4o-mini"
    assert p["$ai_model_parameters"] == {"temperature": 0.2, "service_tier": "default"}
    assert p["$ai_input"] == MESSAGES
    assert p["$ai_output_choices"] == [{"role": "assistant", "content": [{"type": "text", "text": "Hello there"}]}]
    assert (p["$ai_input_tokens"], p["$ai_output_tokens"], p["$ai_cache_read_input_tokens"]) == (12, 3, 4)
    assert p["$ai_http_status"] == 200
    assert p["$ai_base_url"] == provider.url + "/v1/"
    assert p["$ai_stop_reason"] == "stop"
    assert p["$ai_service_tier"] == "default"
    assert p["$ai_lib"] == "posthog-ai"
    assert p["$ai_tokens_source"] == "sdk"
    assert p["team"] == "ai"
    assert p["$groups"] == {"company": "acme"}
    assert isinstance(p["$ai_latency"], float) and p["$ai_latency"] >= 0
    assert "$process_person_profile" not in p


def test_chat_stream_counts_tokens_and_passes_chunks_through(server: TestServer, ph: Posthog, provider: FakeProvider) -> None:
    client = openai_client(ph, provider)
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "Hello"
    assert provider.bodies[-1]["stream_options"] == {"include_usage": True}
    ev = one_event(server, ph)
    p = ev["properties"]
    assert ev["distinct_id"] == p["$ai_trace_id"]
    assert p["$process_person_profile"] is False
    assert (p["$ai_input_tokens"], p["$ai_output_tokens"]) == (9, 2)
    assert p["$ai_output_choices"] == [{"role": "assistant", "content": [{"type": "text", "text": "Hello"}]}]
    assert p["$ai_model_parameters"]["stream"] is True
    assert p["$ai_stop_reason"] == "stop"


def test_privacy_mode_per_call_and_client_wide(server: TestServer, ph: Posthog, provider: FakeProvider) -> None:
    client = openai_client(ph, provider)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, posthog_privacy_mode=True)
    p = one_event(server, ph)["properties"]
    assert p["$ai_input"] is None and p["$ai_output_choices"] is None
    assert p["$ai_input_tokens"] == 12
    server.reset()
    private = Posthog(API_KEY, host=server.url, flush_at=1000, flush_interval=3600, privacy_mode=True)
    try:
        openai_client(private, provider).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        p = one_event(server, private)["properties"]
        assert p["$ai_input"] is None and p["$ai_output_choices"] is None
    finally:
        private.shutdown()


def test_provider_error_is_captured_and_reraised(server: TestServer, ph: Posthog, provider: FakeProvider) -> None:
    provider.fail_with = 400
    client = openai_client(ph, provider)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, posthog_distinct_id="u")
    p = one_event(server, ph)["properties"]
    assert p["$ai_is_error"] is True
    assert p["$ai_http_status"] == 400
    assert "boom" in p["$ai_error"]
    assert p["$ai_output_choices"] == []


def test_responses_and_embeddings(server: TestServer, ph: Posthog, provider: FakeProvider) -> None:
    client = openai_client(ph, provider)
    r = client.responses.create(model="gpt-4.1-mini", input="hi", instructions="Be nice", posthog_distinct_id="u")
    assert r.output_text == "Hi from responses"
    e = client.embeddings.create(model="text-embedding-3-small", input="abc", posthog_distinct_id="u")
    assert e.data[0].embedding == [0.1, 0.2]
    ph.flush()
    events = {ev["event"]: ev for ev in server.wait(2)}
    gen = events["$ai_generation"]["properties"]
    assert gen["$ai_input"] == [{"role": "system", "content": "Be nice"}, {"role": "user", "content": "hi"}]
    assert gen["$ai_instructions"] == "Be nice"
    assert (gen["$ai_input_tokens"], gen["$ai_output_tokens"], gen["$ai_reasoning_tokens"]) == (7, 4, 1)
    assert gen["$ai_output_choices"] == [{"role": "assistant", "content": [{"type": "text", "text": "Hi from responses"}]}]
    assert gen["$ai_stop_reason"] == "completed"
    emb = events["$ai_embedding"]["properties"]
    assert emb["$ai_input"] == "abc" and emb["$ai_input_tokens"] == 5
    assert "$ai_output_choices" not in emb


def test_responses_stream(server: TestServer, ph: Posthog, provider: FakeProvider) -> None:
    client = openai_client(ph, provider)
    kinds = [ev.type for ev in client.responses.create(model="gpt-4.1-mini", input="hi", stream=True)]
    assert kinds[-1] == "response.completed"
    p = one_event(server, ph)["properties"]
    assert (p["$ai_input_tokens"], p["$ai_output_tokens"]) == (7, 4)
    assert p["$ai_output_choices"][0]["content"][0]["text"] == "Hi from responses"


def test_async_openai(server: TestServer, ph: Posthog, provider: FakeProvider) -> None:
    async def run() -> str:
        client = AsyncOpenAI(api_key="sk-test", base_url=provider.url + "/v1", posthog_client=ph, max_retries=0)
        r = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, posthog_distinct_id="u")
        stream = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True, posthog_distinct_id="u")
        parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        return str(r.choices[0].message.content) + "|" + "".join(parts)

    assert asyncio.run(run()) == "Hello there|Hello"
    ph.flush()
    events = server.wait(2)
    tokens = sorted((e["properties"]["$ai_input_tokens"], e["properties"]["$ai_output_tokens"]) for e in events)
    assert tokens == [(9, 2), (12, 3)]


def test_anthropic_messages_sync_stream_async(server: TestServer, ph: Posthog, provider: FakeProvider) -> None:
    client = Anthropic(api_key="sk-ant", base_url=provider.url, posthog_client=ph, max_retries=0)
    msg = client.messages.create(model="claude-3-5-haiku-latest", max_tokens=50, system="Be brief",
                                 messages=[{"role": "user", "content": "Hi"}], posthog_distinct_id="u")
    assert msg.content[0].text == "Bonjour"
    p = one_event(server, ph)["properties"]
    assert p["$ai_provider"] == "anthropic"
    assert p["$ai_input"] == [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}]
    assert p["$ai_output_choices"] == [{"role": "assistant", "content": [{"type": "text", "text": "Bonjour"}]}]
    assert (p["$ai_input_tokens"], p["$ai_output_tokens"], p["$ai_cache_read_input_tokens"]) == (20, 6, 8)
    assert p["$ai_model_parameters"] == {"max_tokens": 50}
    assert p["$ai_stop_reason"] == "end_turn"
    server.reset()
    stream = client.messages.create(model="claude-3-5-haiku-latest", max_tokens=50, stream=True,
                                    messages=[{"role": "user", "content": "Hi"}], posthog_distinct_id="u")
    assert [e.type for e in stream][-1] == "message_stop"
    p = one_event(server, ph)["properties"]
    assert (p["$ai_input_tokens"], p["$ai_output_tokens"]) == (15, 4)
    assert p["$ai_cache_read_input_tokens"] == 0 and p["$ai_cache_creation_input_tokens"] == 0
    assert p["$ai_output_choices"] == [{"role": "assistant", "content": [{"type": "text", "text": "Salut"}]}]
    server.reset()

    async def run() -> str:
        aclient = AsyncAnthropic(api_key="sk-ant", base_url=provider.url, posthog_client=ph, max_retries=0)
        m = await aclient.messages.create(model="claude-3-5-haiku-latest", max_tokens=5,
                                          messages=[{"role": "user", "content": "Hi"}], posthog_distinct_id="u")
        return str(m.content[0].text)

    assert asyncio.run(run()) == "Bonjour"
    assert one_event(server, ph)["properties"]["$ai_output_tokens"] == 6


def test_capture_ai_and_manual_trace_span(server: TestServer, ph: Posthog) -> None:
    uuid = ph.capture_ai("$ai_generation", distinct_id="u", properties={"$ai_model": "m"})
    assert uuid is not None
    capture_trace(ph, "t-1", name="chain", input_state={"q": "x"}, distinct_id="u")
    capture_span(ph, "t-1", "s-1", name="step", latency=0.5, distinct_id="u")
    ph.flush()
    events = {e["event"]: e for e in server.wait(3)}
    assert events["$ai_generation"]["uuid"] == uuid
    assert events["$ai_trace"]["properties"]["$ai_trace_id"] == "t-1"
    assert events["$ai_trace"]["properties"]["$ai_input_state"] == {"q": "x"}
    span = events["$ai_span"]["properties"]
    assert (span["$ai_span_id"], span["$ai_parent_id"], span["$ai_span_name"]) == ("s-1", "t-1", "step")

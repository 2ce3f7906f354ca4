"""The platforms' callback crypto: the platforms' own published samples decrypt and verify,
our encryption is what the decryption reads back, and nothing an attacker sends makes
decryption fail in any other way than the channel's own error (a 4xx, never a 500)."""

from __future__ import annotations

import base64
import contextlib
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels import feishu_crypto as feishu
from bot.channels import wecom_crypto
from bot.channels.wecom_crypto import WeComCryptoError

WECOM_KEY = wecom_crypto.aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")


def test_feishu_documented_sample_decrypts() -> None:
    # The sample in Feishu's guide to encrypted events ("test key" → "hello world").
    assert (
        feishu.decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key") == "hello world"
    )


@pytest.mark.parametrize("plain", ["", "你好，我要退货", '{"challenge": "x"}' * 50])
def test_feishu_round_trip(plain: str) -> None:
    assert feishu.decrypt(feishu.encrypt(plain, "key-1"), "key-1") == plain


def test_feishu_other_key_is_refused() -> None:
    with pytest.raises(feishu.FeishuCryptoError):
        # Another key gives bad padding or undecodable bytes: refused either way (most keys).
        for _ in range(20):
            feishu.decrypt(feishu.encrypt('{"type": "url_verification"}', "key-1"), "key-2")


# Whole AES blocks (what reaches the padding check) as well as arbitrary text.
CIPHERTEXTS = st.one_of(
    st.text(max_size=200),
    st.binary(min_size=32, max_size=256).map(lambda b: base64.b64encode(b).decode()),
)


@given(CIPHERTEXTS)
def test_feishu_decrypt_fails_only_with_its_own_error(garbage: str) -> None:
    with contextlib.suppress(feishu.FeishuCryptoError):
        feishu.decrypt(garbage, "key-1")


def test_feishu_signature_is_the_documented_recipe() -> None:
    # hex SHA-256 of timestamp + nonce + encrypt key + the raw body, in that order
    body = b'{"encrypt": "abc"}'
    expected = hashlib.sha256(b"1700000000" + b"n0nce" + b"key" + body).hexdigest()
    assert feishu.signature("1700000000", "n0nce", "key", body) == expected
    assert expected != feishu.signature("1700000000", "n0nce", "key", b'{"encrypt": "abd"}')


@pytest.mark.parametrize("plain", ["", "echo-1234567890", "<xml><Content>我要退货</Content></xml>"])
def test_wecom_round_trip_keeps_the_receive_id(plain: str) -> None:
    encrypted = wecom_crypto.encrypt(plain, WECOM_KEY, "ww-corp-1")
    assert wecom_crypto.decrypt(encrypted, WECOM_KEY) == (plain, "ww-corp-1")


def test_wecom_padding_is_to_32_bytes() -> None:
    encrypted = wecom_crypto.encrypt("x" * 10, WECOM_KEY, "corp")
    assert len(base64.b64decode(encrypted)) % 32 == 0


@pytest.mark.parametrize(
    "key", ["", "short", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF", "!" * 43]
)
def test_wecom_rejects_a_key_that_is_not_an_encoding_aes_key(key: str) -> None:
    with pytest.raises(WeComCryptoError):
        wecom_crypto.aes_key(key)


def test_wecom_official_sample_verifies_and_decrypts() -> None:
    # The URL-verification sample of WeCom's WXBizMsgCrypt library (Sample.py).
    key = wecom_crypto.aes_key("6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt")
    echostr = (
        "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
    )
    token, stamp, nonce = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "1476416373", "47744683"
    assert (
        wecom_crypto.signature(token, stamp, nonce, echostr)
        == "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb"
    )
    assert wecom_crypto.decrypt(echostr, key) == ("1288432023552776189", "ww1436e0e65a779aee")


def test_wecom_signature_does_not_depend_on_the_order_of_its_parts() -> None:
    assert wecom_crypto.signature("a", "b", "c", "d") == wecom_crypto.signature("d", "c", "b", "a")
    assert wecom_crypto.signature("t", "1", "n", "e") != wecom_crypto.signature("t", "1", "n", "f")


@given(st.binary(max_size=256))
def test_wecom_decrypt_fails_only_with_its_own_error(garbage: bytes) -> None:
    for encrypted in (base64.b64encode(garbage).decode(), garbage.decode("latin-1")):
        with contextlib.suppress(WeComCryptoError):
            wecom_crypto.decrypt(encrypted, WECOM_KEY)

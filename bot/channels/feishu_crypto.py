"""Feishu's encrypted events (飞书 事件订阅 Encrypt Key).

An event arrives as {"encrypt": base64(iv + AES-256-CBC(key = SHA-256(encrypt key), iv,
PKCS#7-padded JSON))}, signed with X-Lark-Signature = hex SHA-256(X-Lark-Request-Timestamp +
X-Lark-Request-Nonce + encrypt key + raw body). The signature covers the body: the channel
checks it before anything is decrypted.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class FeishuCryptoError(ValueError):
    """The payload is not something Feishu encrypted with our key."""


def _aes_key(encrypt_key: str) -> bytes:
    """Feishu's AES key: the SHA-256 of the Encrypt Key shown in the console."""
    return hashlib.sha256(encrypt_key.encode()).digest()


def encrypt(plain: str, encrypt_key: str) -> str:
    """What Feishu sends in `encrypt` for `plain` (the fake platform in the tests uses it)."""
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_aes_key(encrypt_key)), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(data) + encryptor.finalize()).decode()


def decrypt(encrypted: str, encrypt_key: str) -> str:
    """The plain text of an `encrypt` field; raises FeishuCryptoError on anything else."""
    try:
        data = base64.b64decode(encrypted, validate=True)
        if len(data) < 32 or len(data) % 16:
            raise FeishuCryptoError("not whole AES blocks")
        decryptor = Cipher(algorithms.AES(_aes_key(encrypt_key)), modes.CBC(data[:16])).decryptor()
        unpadder = padding.PKCS7(128).unpadder()
        plain = unpadder.update(decryptor.update(data[16:]) + decryptor.finalize())
        return (plain + unpadder.finalize()).decode()
    except FeishuCryptoError:
        raise
    except ValueError as exc:  # bad base64, padding or UTF-8; non-ASCII text
        raise FeishuCryptoError(type(exc).__name__) from exc


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """X-Lark-Signature of a callback body."""
    signed = (timestamp + nonce + encrypt_key).encode() + body
    return hashlib.sha256(signed).hexdigest()

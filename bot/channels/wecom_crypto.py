"""WeCom's callback encryption (企业微信 回调消息加解密).

A callback's payload is base64(AES-256-CBC(key, iv = key[:16], random 16 bytes + 4-byte
big-endian length + message + receive id, PKCS#7 padded to 32-byte blocks)), where key is
the app's EncodingAESKey (43 characters) base64-decoded. msg_signature is the hex SHA-1 of
the sorted, concatenated token, timestamp, nonce and encrypted payload: it is checked before
anything is decrypted.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeCom pads to 32 bytes, not AES's 16


class WeComCryptoError(ValueError):
    """The payload is not something WeCom encrypted for this app."""


def aes_key(encoding_aes_key: str) -> bytes:
    """The AES key of an EncodingAESKey; raises WeComCryptoError if it is not one."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except ValueError as exc:  # binascii.Error, or characters that are not ASCII
        raise WeComCryptoError("EncodingAESKey is not base64") from exc
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise WeComCryptoError("EncodingAESKey must be 43 characters (32 bytes)")
    return key


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """msg_signature of an encrypted payload."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, encrypted))).encode()).hexdigest()


def encrypt(message: str, key: bytes, receive_id: str) -> str:
    """What WeCom sends for `message` (the fake platform in the tests uses it)."""
    raw = message.encode()
    data = os.urandom(16) + struct.pack(">I", len(raw)) + raw + receive_id.encode()
    pad = BLOCK - len(data) % BLOCK
    data += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode()


def decrypt(encrypted: str, key: bytes) -> tuple[str, str]:
    """(message, receive id) of an encrypted payload; raises WeComCryptoError otherwise."""
    try:
        data = base64.b64decode(encrypted, validate=True)
    except ValueError as exc:  # binascii.Error, or characters that are not ASCII
        raise WeComCryptoError("not base64") from exc
    if not data or len(data) % 16:
        raise WeComCryptoError("not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise WeComCryptoError("bad padding")
    plain = plain[16:-pad]
    if len(plain) < 4:
        raise WeComCryptoError("too short")
    (length,) = struct.unpack(">I", plain[:4])
    if length > len(plain) - 4:
        raise WeComCryptoError("length beyond the payload")
    try:
        return plain[4 : 4 + length].decode(), plain[4 + length :].decode()
    except UnicodeDecodeError as exc:
        raise WeComCryptoError("not UTF-8") from exc

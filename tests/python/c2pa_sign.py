"""Writes C2PA-signed test images with the real C2PA SDK (`c2pa-python`, contentauth's Rust SDK
behind a C API) and a test certificate authority made here with `cryptography`, for
tests/tests/c2pa.rs.

    python c2pa_sign.py COVER.png OUT_DIR

OUT_DIR gets `test-ca.pem` (the root certificate: the trust anchor the test gives EdgeMark),
the signed files below, and one JSON line per file on standard output:
`{"file", "case", "source_type", "claim_generator"}`.

- `ai.jpg`, `ai.png`, `ai.webp`: a `c2pa.created` action with IPTC `trainedAlgorithmicMedia`
  (as Adobe Firefly, OpenAI and Google write theirs);
- `camera.jpg`: `c2pa.created` with `digitalCapture` (as Leica, Nikon and Sony cameras do);
- `edited.jpg`: `c2pa.created` (`digitalCreation`), then an edit with
  `compositeWithTrainedAlgorithmicMedia` (generative fill);
- `tampered.jpg`: `ai.jpg` with one byte of its entropy-coded pixel data changed after signing;
- `other-ca.jpg`: `ai.jpg`'s manifest signed by a second authority that is not a trust anchor.
"""

import datetime
import json
import os
import sys

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
NOW = datetime.datetime.now(datetime.timezone.utc)
# id-kp-documentSigning (RFC 9336), one of the extended key usages C2PA accepts.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


def name(cn, org="EdgeMark tests"):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def authority(cn, org):
    """A self-signed root (P-256) of organisation `org`: its key and certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(cn, org))
        .issuer_name(name(cn, org))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def leaf(ca_key, ca_cert, cn):
    """An end-entity signing certificate issued by the authority: PEM chain and PEM key."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(cn))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(
        serialization.Encoding.PEM
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return chain, pem_key


def signer(chain, key):
    return c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", chain, key, None))


def manifest(generator, actions):
    return {
        "claim_generator_info": [{"name": generator, "version": "1.0"}],
        "title": "EdgeMark C2PA test",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}}],
    }


def sign(sig, spec, fmt, src, dst):
    builder = c2pa.Builder(spec)
    with open(src, "rb") as s, open(dst, "w+b") as d:
        builder.sign(sig, fmt, s, d)


def main():
    cover, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    from PIL import Image

    img = Image.open(cover).convert("RGB")
    plain = {}
    for ext, fmt, kw in [
        ("jpg", "JPEG", {"quality": 92}),
        ("png", "PNG", {}),
        ("webp", "WEBP", {"quality": 90}),
    ]:
        plain[ext] = os.path.join(out, f"plain.{ext}")
        img.save(plain[ext], fmt, **kw)

    ca_key, ca_cert = authority("EdgeMark test root CA", "EdgeMark test authority")
    with open(os.path.join(out, "test-ca.pem"), "wb") as f:
        f.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    chain, key = leaf(ca_key, ca_cert, "EdgeMark test signer")
    trusted = signer(chain, key)
    other_key, other_cert = authority("Unknown CA", "Unknown authority")
    other = signer(*leaf(other_key, other_cert, "Unknown signer"))

    mime = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
    created_ai = [{"action": "c2pa.created", "digitalSourceType": IPTC + "trainedAlgorithmicMedia"}]
    cases = []

    def case(file, kind, source_type, generator, sig, actions, ext):
        path = os.path.join(out, file)
        sign(sig, manifest(generator, actions), mime[ext], plain[ext], path)
        cases.append(
            {"file": path, "case": kind, "source_type": source_type, "claim_generator": generator}
        )
        return path

    for ext in ["jpg", "png", "webp"]:
        case(f"ai.{ext}", "ai", "trainedAlgorithmicMedia", "TestDiffusion", trusted, created_ai, ext)
    case(
        "camera.jpg",
        "camera",
        "digitalCapture",
        "TestCamera",
        trusted,
        [{"action": "c2pa.created", "digitalSourceType": IPTC + "digitalCapture"}],
        "jpg",
    )
    case(
        "edited.jpg",
        "ai",
        "compositeWithTrainedAlgorithmicMedia",
        "TestEditor",
        trusted,
        [
            {"action": "c2pa.created", "digitalSourceType": IPTC + "digitalCreation"},
            {
                "action": "c2pa.edited",
                "digitalSourceType": IPTC + "compositeWithTrainedAlgorithmicMedia",
            },
        ],
        "jpg",
    )
    case("other-ca.jpg", "untrusted", "trainedAlgorithmicMedia", "TestDiffusion", other, created_ai, "jpg")

    # Tampering: one byte of the entropy-coded data (well after the start of scan) changed.
    data = bytearray(open(os.path.join(out, "ai.jpg"), "rb").read())
    sos = data.rfind(b"\xff\xda")
    at = sos + (len(data) - sos) // 2
    data[at] = 0x00 if data[at] != 0x00 else 0x01
    if data[at - 1] == 0xFF:
        data[at] = 0x00
    tampered = os.path.join(out, "tampered.jpg")
    with open(tampered, "wb") as f:
        f.write(data)
    cases.append(
        {
            "file": tampered,
            "case": "tampered",
            "source_type": "trainedAlgorithmicMedia",
            "claim_generator": "TestDiffusion",
        }
    )
    for c in cases:
        print(json.dumps(c))


if __name__ == "__main__":
    main()

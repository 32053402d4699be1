#!/usr/bin/env python3
# Makes the refund-notification vector with Python's `cryptography` package,
# independently of our Go code: python3 gen.py > vector.xml
#
# req_info = base64(AES-256-ECB(PKCS#7(inner))), key = the 32 ASCII
# characters of the lower-case hex MD5 of the API key (SPEC §8). The API key
# and merchant are the official signing vector's (SPEC §2).
import base64, hashlib
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

api_key = "192006250b4c09247ec02edce69f6a2d"
inner = (
    "<root>"
    "<out_refund_no><![CDATA[R20240501123456000000Ab3dE5fG01]]></out_refund_no>"
    "<out_trade_no><![CDATA[20240501123456000000Ab3dE5fG]]></out_trade_no>"
    "<refund_account><![CDATA[REFUND_SOURCE_RECHARGE_FUNDS]]></refund_account>"
    "<refund_fee><![CDATA[1200]]></refund_fee>"
    "<refund_id><![CDATA[50000408942024050112345678901]]></refund_id>"
    "<refund_recv_accout><![CDATA[支付用户零钱]]></refund_recv_accout>"
    "<refund_request_source><![CDATA[API]]></refund_request_source>"
    "<refund_status><![CDATA[SUCCESS]]></refund_status>"
    "<settlement_refund_fee><![CDATA[1200]]></settlement_refund_fee>"
    "<settlement_total_fee><![CDATA[2800]]></settlement_total_fee>"
    "<success_time><![CDATA[2024-05-01 12:40:05]]></success_time>"
    "<total_fee><![CDATA[2800]]></total_fee>"
    "<transaction_id><![CDATA[4200001234202405011234567890]]></transaction_id>"
    "</root>"
).encode()
key = hashlib.md5(api_key.encode()).hexdigest().encode()
padder = padding.PKCS7(128).padder()
padded = padder.update(inner) + padder.finalize()
enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
req_info = base64.b64encode(enc.update(padded) + enc.finalize()).decode()
print(
    "<xml>"
    "<return_code>SUCCESS</return_code>"
    "<appid><![CDATA[wxd930ea5d5a258f4f]]></appid>"
    "<mch_id><![CDATA[10000100]]></mch_id>"
    "<nonce_str><![CDATA[TeqClE3i0mvn3DrK]]></nonce_str>"
    "<req_info><![CDATA[" + req_info + "]]></req_info>"
    "</xml>"
)

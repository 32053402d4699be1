// Package wxpayv3 is WeChat Pay API v3's protocol (SPEC §7): RSA SHA-256
// request signatures (Authorization: WECHATPAY2-SHA256-RSA2048), the
// verification of what WeChat signs (Wechatpay-Serial naming a WeChat Pay
// public key ID or a platform certificate serial, Wechatpay-Timestamp
// within 5 minutes, Wechatpay-Signature), and the AES-256-GCM resources of
// notifications. Like package wxpay it depends on neither the database nor
// the web framework; the standard library does all the cryptography.
package wxpayv3

package wxpayv3

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AuthScheme is the Authorization scheme of v3 requests.
const AuthScheme = "WECHATPAY2-SHA256-RSA2048"

// Headers of what WeChat signs.
const (
	HeaderSerial    = "Wechatpay-Serial"
	HeaderTimestamp = "Wechatpay-Timestamp"
	HeaderNonce     = "Wechatpay-Nonce"
	HeaderSignature = "Wechatpay-Signature"
)

// Window is how far a Wechatpay-Timestamp may be from our clock.
const Window = 5 * time.Minute

// RequestMessage is what a request's signature covers:
// METHOD\nPATH?QUERY\ntimestamp\nnonce\nbody\n (an empty body for GET).
func RequestMessage(method, pathQuery, timestamp, nonce string, body []byte) string {
	return method + "\n" + pathQuery + "\n" + timestamp + "\n" + nonce + "\n" + string(body) + "\n"
}

// ResponseMessage is what the signature of a reply or notification covers:
// timestamp\nnonce\nbody\n.
func ResponseMessage(timestamp, nonce string, body []byte) string {
	return timestamp + "\n" + nonce + "\n" + string(body) + "\n"
}

// Sign is base64 RSA PKCS#1 v1.5 SHA-256 of msg.
func Sign(key *rsa.PrivateKey, msg string) (string, error) {
	sum := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("wxpayv3: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks a base64 RSA PKCS#1 v1.5 SHA-256 signature of msg.
func Verify(pub *rsa.PublicKey, msg, signature string) error {
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64", ErrBadSignature)
	}
	sum := sha256.Sum256([]byte(msg))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return ErrBadSignature
	}
	return nil
}

// Signer signs the merchant's requests.
type Signer struct {
	MchID  string
	Serial string // of the merchant API certificate, hex
	Key    *rsa.PrivateKey
}

// Authorization is the header value of a request: method, path with its
// query as sent, body ("" for GET), time and nonce.
func (s Signer) Authorization(method, pathQuery string, body []byte, at time.Time, nonce string) (string, error) {
	ts := strconv.FormatInt(at.Unix(), 10)
	sig, err := Sign(s.Key, RequestMessage(method, pathQuery, ts, nonce, body))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`%s mchid="%s",nonce_str="%s",timestamp="%s",serial_no="%s",signature="%s"`,
		AuthScheme, s.MchID, nonce, ts, s.Serial, sig), nil
}

// Authorization is a parsed Authorization header (the simulator reads it).
type Authorization struct {
	MchID, Nonce, Timestamp, Serial, Signature string
}

// ParseAuthorization reads WECHATPAY2-SHA256-RSA2048 k="v",… with every
// one of mchid, nonce_str, timestamp, serial_no and signature exactly once.
func ParseAuthorization(h string) (Authorization, error) {
	var a Authorization
	rest, ok := strings.CutPrefix(h, AuthScheme+" ")
	if !ok {
		return a, fmt.Errorf("%w: scheme is not %s", ErrBadAuthorize, AuthScheme)
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || seen[k] {
			return a, fmt.Errorf("%w: bad or repeated field %q", ErrBadAuthorize, k)
		}
		seen[k] = true
		v = v[1 : len(v)-1]
		switch k {
		case "mchid":
			a.MchID = v
		case "nonce_str":
			a.Nonce = v
		case "timestamp":
			a.Timestamp = v
		case "serial_no":
			a.Serial = v
		case "signature":
			a.Signature = v
		default:
			return a, fmt.Errorf("%w: unknown field %q", ErrBadAuthorize, k)
		}
	}
	if a.MchID == "" || a.Nonce == "" || a.Timestamp == "" || a.Serial == "" || a.Signature == "" {
		return a, fmt.Errorf("%w: a field is missing", ErrBadAuthorize)
	}
	return a, nil
}

// CheckTimestamp checks a Unix-seconds timestamp against now and Window.
func CheckTimestamp(ts string, now time.Time) error {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q", ErrMalformed, clip(ts))
	}
	d := now.Sub(time.Unix(n, 0))
	if d > Window || d < -Window {
		return fmt.Errorf("%w: %s off", ErrStaleTimestamp, d.Round(time.Second))
	}
	return nil
}

// Verifier checks what WeChat signs with the keys we trust: the WeChat Pay
// public key (by its ID) and platform certificates (by serial), several at
// once during a switch. It is safe for concurrent use.
type Verifier struct {
	mu   sync.RWMutex
	keys map[string]*rsa.PublicKey
}

// NewVerifier returns a Verifier with no keys.
func NewVerifier() *Verifier { return &Verifier{keys: map[string]*rsa.PublicKey{}} }

// Add trusts pub for messages whose Wechatpay-Serial is serial (a public
// key ID, or a certificate serial in hex in any case).
func (v *Verifier) Add(serial string, pub *rsa.PublicKey) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.keys[NormalizeSerial(serial)] = pub
}

// Serials lists the serials and IDs trusted.
func (v *Verifier) Serials() []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]string, 0, len(v.keys))
	for k := range v.keys {
		out = append(out, k)
	}
	return out
}

// Verify checks a signed message from WeChat: a known serial, a timestamp
// within Window of now, and the signature over timestamp\nnonce\nbody\n.
func (v *Verifier) Verify(h http.Header, body []byte, now time.Time) error {
	serial, ts, nonce, sig := h.Get(HeaderSerial), h.Get(HeaderTimestamp), h.Get(HeaderNonce), h.Get(HeaderSignature)
	if serial == "" || ts == "" || nonce == "" || sig == "" {
		return ErrMissingHeader
	}
	v.mu.RLock()
	pub, ok := v.keys[NormalizeSerial(serial)]
	v.mu.RUnlock()
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownSerial, clip(serial))
	}
	if err := CheckTimestamp(ts, now); err != nil {
		return err
	}
	return Verify(pub, ResponseMessage(ts, nonce, body), sig)
}

// SignHeaders sets the Wechatpay-* headers of a reply or notification
// signed with key under serial (the simulator's side).
func SignHeaders(h http.Header, key *rsa.PrivateKey, serial string, body []byte, at time.Time, nonce string) error {
	ts := strconv.FormatInt(at.Unix(), 10)
	sig, err := Sign(key, ResponseMessage(ts, nonce, body))
	if err != nil {
		return err
	}
	h.Set(HeaderSerial, serial)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, sig)
	return nil
}

// clip keeps outside text short in errors.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

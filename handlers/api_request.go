package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// maxAPIBody caps a JSON API request body; an order is a few hundred bytes.
const maxAPIBody = 64 << 10

// apiOrderRequest is the body of POST /api/v1/orders.
type apiOrderRequest struct {
	OutTradeNo    string
	Amount        int64 // fen
	Name          string
	NotifyURL     string
	ReturnURL     string
	Param         string
	ExpireSeconds int64 // 0: ORDER_TTL
	// TradeType is how the merchant's client pays (SPEC §9): NATIVE (the
	// default: the payment page), APP or JSAPI (a mini program, with OpenID).
	TradeType string
	OpenID    string
}

// ttl is how long the order is to stay payable; the checkout checks the
// range. Out-of-range values are clamped first so that no multiplication
// overflows into a valid duration.
func (r apiOrderRequest) ttl() time.Duration {
	return time.Duration(max(-1, min(r.ExpireSeconds, 1<<32))) * time.Second
}

// fields maps each JSON name, exactly as written (encoding/json alone
// would also take "Amount" or "AMOUNT"), to where its value goes.
func (r *apiOrderRequest) fields() map[string]any {
	return map[string]any{"out_trade_no": &r.OutTradeNo, "amount": &r.Amount, "name": &r.Name,
		"notify_url": &r.NotifyURL, "return_url": &r.ReturnURL, "param": &r.Param, "expire_seconds": &r.ExpireSeconds,
		"trade_type": &r.TradeType, "openid": &r.OpenID}
}

func apiBadRequest(status int, code, key string, args ...any) *apiError {
	return &apiError{status: status, code: code, key: key, args: args}
}

// decodeOrderRequest reads the body of POST /api/v1/orders strictly (see
// decodeJSONBody).
func decodeOrderRequest(c *gin.Context) (apiOrderRequest, error) {
	var req apiOrderRequest
	return req, decodeJSONBody(c, req.fields())
}

// decodeJSONBody reads the body strictly into fields: application/json in
// UTF-8, at most 64 KiB, exactly one JSON object, known fields only, each
// of its type (an amount of 1.5 or "100" is refused, not rounded or
// converted).
func decodeJSONBody(c *gin.Context, fields map[string]any) error {
	if err := checkJSONContentType(c.GetHeader("Content-Type")); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxAPIBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return apiBadRequest(http.StatusRequestEntityTooLarge, codeTooLarge, "err_api_too_large", maxAPIBody>>10)
	case err != nil:
		return apiBadRequest(http.StatusBadRequest, codeInvalidJSON, "err_api_json")
	}
	raw, err := oneJSONObject(body)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	slices.Sort(names) // the same body always names the same field
	for _, name := range names {
		dst, ok := fields[name]
		if !ok {
			return apiBadRequest(http.StatusBadRequest, codeUnknownField, "err_api_unknown_field", clipField(name))
		}
		if err := json.Unmarshal(raw[name], dst); err != nil {
			key := "err_api_want_string"
			if _, isInt := dst.(*int64); isInt {
				key = "err_api_want_integer"
			}
			return apiBadRequest(http.StatusBadRequest, codeInvalidType, key, name)
		}
	}
	return nil
}

func checkJSONContentType(header string) error {
	mt, params, err := mime.ParseMediaType(header)
	cs, hasCharset := params["charset"]
	if err != nil || mt != "application/json" || hasCharset && !strings.EqualFold(cs, "utf-8") {
		return apiBadRequest(http.StatusUnsupportedMediaType, codeMediaType, "err_api_content_type")
	}
	return nil
}

// oneJSONObject parses body as a single JSON object, nothing after it. A
// name given twice is refused: parsers disagree on which one counts, and a
// proxy or a log might see the other amount than we do.
func oneJSONObject(body []byte) (map[string]json.RawMessage, error) {
	bad := apiBadRequest(http.StatusBadRequest, codeInvalidJSON, "err_api_json")
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, bad
	}
	raw := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		name, ok := t.(string)
		if err != nil || !ok {
			return nil, bad
		}
		if _, dup := raw[name]; dup {
			return nil, apiBadRequest(http.StatusBadRequest, codeInvalidJSON, "err_api_duplicate_field", clipField(name))
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, bad
		}
		raw[name] = v
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, bad
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad
	}
	return raw, nil
}

// clipField keeps a refused field's name short enough for a message.
func clipField(name string) string {
	const most = 40
	if r := []rune(name); len(r) > most {
		return string(r[:most]) + "…"
	}
	return name
}

package wxpayv3

import "encoding/json"

// NotifyFailReply is the body of a refused v3 notification (SPEC §7):
// {"code":"FAIL","message":…}, sent with a 4xx or 5xx so that WeChat
// resends. A success is an empty body with 200 or 204.
func NotifyFailReply(message string) []byte {
	b, _ := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{"FAIL", message})
	return b
}

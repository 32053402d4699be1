package wxpaysim

import (
	"net"

	"wxcheckout/wxpay"
)

// The v3 orders of the other devices (SPEC §9): /jsapi with the payer's
// openid, /h5 with the shopper's IP and h5_info, /app. Same body and
// signature checks as /native.
func (s *Server) v3DeviceRoutes() {
	s.mux.Handle("POST /v3/pay/transactions/jsapi", s.v3api("unifiedorder", func(c *v3call) v3reply { return s.v3Place(c, wxpay.TradeJSAPI) }))
	s.mux.Handle("POST /v3/pay/transactions/h5", s.v3api("unifiedorder", func(c *v3call) v3reply { return s.v3Place(c, wxpay.TradeMWEB) }))
	s.mux.Handle("POST /v3/pay/transactions/app", s.v3api("unifiedorder", func(c *v3call) v3reply { return s.v3Place(c, wxpay.TradeAPP) }))
}

// v3SceneInfo is scene_info of a v3 order; H5 needs the shopper's IP and
// h5_info.type.
type v3SceneInfo struct {
	PayerClientIP string `json:"payer_client_ip"`
	H5Info        *struct {
		Type string `json:"type"`
	} `json:"h5_info"`
}

// validateDevice applies the rules of tradeType to a request that passed
// the common ones.
func (s *Server) validateDevice(req *nativeRequest, tradeType string) *v3reply {
	fail := func(r v3reply) *v3reply { return &r }
	switch tradeType {
	case wxpay.TradeJSAPI:
		switch {
		case req.Payer == nil:
			return fail(required("payer", "支付者"))
		case req.Payer.OpenID == "":
			return fail(required("payer/openid", "用户标识"))
		case !s.ownsOpenID(req.AppID, req.Payer.OpenID):
			return fail(v3ParamError("appid和openid不匹配"))
		}
	case wxpay.TradeMWEB:
		switch si := req.SceneInfo; {
		case si == nil:
			return fail(required("scene_info", "场景信息"))
		case si.PayerClientIP == "":
			return fail(required("scene_info/payer_client_ip", "用户终端IP"))
		case net.ParseIP(si.PayerClientIP) == nil:
			return fail(v3ParamError("scene_info.payer_client_ip格式错误"))
		case si.H5Info == nil:
			return fail(required("scene_info/h5_info", "H5场景信息"))
		case si.H5Info.Type == "":
			return fail(required("scene_info/h5_info/type", "场景类型"))
		}
	}
	return nil
}

// v3PrepayReply is the answer to a v3 order: Native's code_url, H5's
// h5_url, or the prepay_id of JSAPI and APP.
func (s *Server) v3PrepayReply(o *order) map[string]string {
	switch o.tradeType {
	case wxpay.TradeNative:
		return map[string]string{"code_url": o.codeURL}
	case wxpay.TradeMWEB:
		return map[string]string{"h5_url": s.mwebURL(o)}
	}
	return map[string]string{"prepay_id": o.prepayID}
}

package wxpaysim

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"wxcheckout/wxpay"
)

// StateStore keeps the simulator's orders across restarts. Each order's
// state is a JSON document in the simulator's own format, opaque to the
// store, with a version that grows with every change. Saves may arrive out
// of order, so a store keeps, per out_trade_no, the highest version it was
// given. The methods are named for what they hold so that a shop's own
// store can provide them beside its other methods.
type StateStore interface {
	// LoadSimOrders returns every order's latest state, once, at Open.
	LoadSimOrders(ctx context.Context) ([][]byte, error)
	// SaveSimOrder stores one order's state unless a higher version is stored.
	SaveSimOrder(ctx context.Context, outTradeNo string, version int64, state []byte) error
	// DeleteSimOrders forgets evicted orders.
	DeleteSimOrders(ctx context.Context, outTradeNos []string) error
}

// saveTimeout bounds one save: a store that hangs must not hang the API.
const saveTimeout = 10 * time.Second

// savedOrder is an order as a StateStore keeps it. Every instant is in UTC.
type savedOrder struct {
	Version       int64         `json:"version"`
	OutTradeNo    string        `json:"out_trade_no"`
	Fields        wxpay.Params  `json:"fields"`
	SignType      string        `json:"sign_type"`
	PrepayID      string        `json:"prepay_id"`
	CodeURL       string        `json:"code_url"`
	TotalFee      int64         `json:"total_fee"`
	Created       time.Time     `json:"created"`
	TimeExpire    time.Time     `json:"time_expire,omitzero"`
	TradeState    string        `json:"trade_state"`
	TransactionID string        `json:"transaction_id,omitempty"`
	OpenID        string        `json:"openid,omitempty"`
	BankType      string        `json:"bank_type,omitempty"`
	TimeEnd       time.Time     `json:"time_end,omitzero"`
	Delivered     bool          `json:"delivered,omitempty"`
	Attempts      int           `json:"attempts,omitempty"` // notification attempts made
	LastAttempt   time.Time     `json:"last_attempt,omitzero"`
	NotifyEnded   bool          `json:"notify_ended,omitempty"` // given up, refused or dropped: never resumed
	V3            bool          `json:"v3,omitempty"`           // created by API v3; SignType is then empty
	Refunds       []savedRefund `json:"refunds,omitempty"`
	TradeType     string        `json:"trade_type,omitempty"` // empty in states saved before trade types: NATIVE
	ClientIP      string        `json:"client_ip,omitempty"`
	MwebPackage   string        `json:"mweb_package,omitempty"`
}

// changed gives o a new version and returns its state to save, or nil when
// there is no StateStore. Guarded by s.mu.
func (s *Server) changed(o *order) *savedOrder {
	if s.opts.State == nil {
		return nil
	}
	s.seq++
	o.version = s.seq
	return &savedOrder{
		Version: o.version, OutTradeNo: o.outTradeNo(), Fields: o.fields, SignType: string(o.signType),
		PrepayID: o.prepayID, CodeURL: o.codeURL, TotalFee: o.totalFee, Created: o.created.UTC(),
		TimeExpire: o.timeExpire.UTC(), TradeState: o.state, TransactionID: o.transactionID,
		OpenID: o.openID, BankType: o.bankType, TimeEnd: o.timeEnd.UTC(), Delivered: o.delivered,
		Attempts: o.attempts, LastAttempt: o.lastAttempt.UTC(), NotifyEnded: o.notifyEnded, V3: o.v3,
		Refunds: saveRefunds(o.refunds), TradeType: o.tradeType, ClientIP: o.clientIP, MwebPackage: o.mwebPackage,
	}
}

// persist saves a change outside s.mu (the store may take a disk write).
func (s *Server) persist(so *savedOrder) error {
	if so == nil {
		return nil
	}
	b, err := json.Marshal(so)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
		defer cancel()
		err = s.opts.State.SaveSimOrder(ctx, so.OutTradeNo, so.Version, b)
	}
	if err != nil {
		err = fmt.Errorf("wxpaysim: save order %s: %w", so.OutTradeNo, err)
		s.log.Error("wxpaysim state", "out_trade_no", so.OutTradeNo, "err", err)
	}
	return err
}

// forgetSaved deletes evicted orders from the StateStore.
func (s *Server) forgetSaved(nos []string) {
	if s.opts.State == nil || len(nos) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
	defer cancel()
	if err := s.opts.State.DeleteSimOrders(ctx, nos); err != nil {
		s.log.Error("wxpaysim state: delete evicted orders", "count", len(nos), "err", err)
	}
}

// Open returns a Server with the orders of opts.State, when set, loaded.
// A paid order whose notification was never acknowledged resumes its retry
// schedule where it stopped. Errors are those of the store, or a state it
// holds that cannot be read.
func Open(ctx context.Context, opts Options) (*Server, error) {
	if err := CheckV3Sign(opts.V3Sign); err != nil {
		return nil, err
	}
	s := newServer(opts)
	if s.opts.State == nil {
		return s, nil
	}
	if err := s.restore(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) restore(ctx context.Context) error {
	states, err := s.opts.State.LoadSimOrders(ctx)
	if err != nil {
		return fmt.Errorf("wxpaysim: load state: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range states {
		o, err := decodeSaved(b)
		if err != nil {
			return err
		}
		s.orders[o.outTradeNo()] = o
		s.byCode[o.codeURL] = o
		s.byPrepay[o.prepayID] = o
		if o.transactionID != "" {
			s.byTxn[o.transactionID] = o
		}
		s.created = append(s.created, o)
		s.seq = max(s.seq, o.version)
		for _, r := range o.refunds {
			s.refunds[r.outRefundNo] = r
		}
	}
	slices.SortFunc(s.created, func(a, b *order) int {
		return cmp.Or(a.created.Compare(b.created), cmp.Compare(a.outTradeNo(), b.outTradeNo()))
	})
	s.resumeRefunds()
	for _, o := range s.created {
		if o.v3 && s.opts.V3Keys == nil {
			s.log.Warn("wxpaysim state: a v3 order's notification is not resumed without v3 keys", "out_trade_no", o.outTradeNo())
			continue
		}
		if o.paid() && !o.delivered && !o.notifyEnded {
			n, attempts, last := s.notification(o), o.attempts, o.lastAttempt
			s.wg.Add(1) // goTracked takes s.mu, held here; the server is not closed yet
			go func() {
				defer s.wg.Done()
				s.resume(n, attempts, last)
			}()
		}
	}
	return nil
}

var errBadState = errors.New("wxpaysim: unreadable order state")

func decodeSaved(b []byte) (*order, error) {
	var so savedOrder
	if err := json.Unmarshal(b, &so); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadState, err)
	}
	var st wxpay.SignType
	var err error
	if !so.V3 {
		st, err = wxpay.ParseSignType(so.SignType)
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: order %q: %v", errBadState, so.OutTradeNo, err)
	case so.OutTradeNo == "" || so.Fields["out_trade_no"] != so.OutTradeNo || so.CodeURL == "" || so.Version <= 0:
		return nil, fmt.Errorf("%w: order %q is incomplete", errBadState, so.OutTradeNo)
	}
	o := &order{
		fields: so.Fields, signType: st, prepayID: so.PrepayID, codeURL: so.CodeURL, totalFee: so.TotalFee,
		created: so.Created, timeExpire: so.TimeExpire, state: so.TradeState, transactionID: so.TransactionID,
		openID: so.OpenID, bankType: so.BankType, timeEnd: so.TimeEnd, delivered: so.Delivered,
		version: so.Version, attempts: so.Attempts, lastAttempt: so.LastAttempt, notifyEnded: so.NotifyEnded,
		v3: so.V3, tradeType: tradeTypeOr(so.TradeType), clientIP: so.ClientIP, mwebPackage: so.MwebPackage,
	}
	if err := loadRefunds(o, so.Refunds); err != nil {
		return nil, fmt.Errorf("%w: order %q: %v", errBadState, so.OutTradeNo, err)
	}
	return o, nil
}

// Package gateway holds the protocol rules of the merchant gateway (SPEC §6):
// the epay (易支付 V1) signature, the money format shop systems send, the
// epay notification and return_url parameters, the webhook signature of the
// JSON API, the guard that keeps merchant notify URLs off the server's own
// network, and the form of merchant app pids and keys.
//
// It is protocol only and knows nothing of the database (merchant apps are
// kept by the store and managed through checkout.Service). Not here yet: the
// endpoints (submit.php, mapi.php, api.php, /api/v1) and the durable worker
// that delivers notifications.
package gateway

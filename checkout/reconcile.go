package checkout

import "time"

// The reconciler queries an unpaid order first this long after creation.
const firstQueryAfter = 10 * time.Second

// The admin console: loaded on admin pages only (layout.html).
"use strict";

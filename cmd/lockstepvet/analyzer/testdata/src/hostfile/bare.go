// want +1 `lockstep:host needs a reason`
//lockstep:host

package hostfile

import "time"

// Bare is checked: a marker without a reason exempts nothing.
func Bare() time.Time { return time.Now() } // want `wall time time.Now`

package hostfile

//lockstep:host too late to mark the file // want `lockstep:host must come before the package clause`

import "time"

// Late is checked: the marker follows the package clause.
func Late() time.Time { return time.Now() } // want `wall time time.Now`

package addresses

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/lockstep-dst/lockstep/sim"
)

type thing struct{ name string }

func Addresses(w *sim.World, a, b *thing, m map[string]int) {
	w.Logf(nil, "thing at %p", a)                  // want `%p verb in a format string: it exposes an address, and addresses differ between runs`
	_ = fmt.Sprintf("%-8p", b)                     // want `%p verb in a format string`
	_ = fmt.Errorf("%[1]p %[1]v", b)               // want `%p verb in a format string`
	_ = sim.Checkf("c", "bad %s at %p", a.name, a) // want `%p verb in a format string`
	_ = fmt.Sprintf("100%% %v", a.name)            // %% is no verb
	_ = fmt.Sprintf("%v", a.name)
	if uintptr(unsafe.Pointer(a)) < uintptr(unsafe.Pointer(b)) { // want `unsafe.Pointer to uintptr` `unsafe.Pointer to uintptr`
		return
	}
	_ = unsafe.Pointer(a) == unsafe.Pointer(b) // identity is fine
	v := reflect.ValueOf(a)
	_ = v.Pointer()                   // want `reflect.Value.Pointer: it exposes an address`
	_ = v.UnsafePointer()             // want `reflect.Value.UnsafePointer`
	_ = reflect.ValueOf(m).MapKeys()  // want `reflect.Value.MapKeys: it yields a map's entries in Go's random map order`
	_ = reflect.ValueOf(m).MapRange() // want `reflect.Value.MapRange`
	_ = v.Elem().Field(0).String()
}

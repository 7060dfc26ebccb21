package plugin

// Ready implements the ready.Readiness interface.
func (f *Federation) Ready() bool { return f.Local.HasSynced() }

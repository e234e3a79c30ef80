package mesosutil

const (
	// MesosVersion is the Mesos release whose protocol gomesos speaks.
	MesosVersion = "1.11.0"
)

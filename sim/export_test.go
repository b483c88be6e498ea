package sim

// PortableLogForTest exposes portableLog to the external tests.
var PortableLogForTest = portableLog

package sim

// AsyncSyncForTest tells the tests whether Disk.Sync is asynchronous yet.
const AsyncSyncForTest = asyncSync

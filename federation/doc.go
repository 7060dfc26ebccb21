// Package federation is the domain of the federation plugin, free of DNS
// wire types: federated names and the level names they walk up through, the
// local cluster's topology, the health of a service's shard, and the
// client-go watchers that keep all of it current without an API call per
// query.
package federation

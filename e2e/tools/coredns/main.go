// Command coredns is CoreDNS with only the plugins the local cluster's DNS needs.
//
// The upstream binary links every plugin, including cloud DNS providers whose SDKs
// would triple the build time here. Cluster DNS needs to answer for Services and Pods
// (kubernetes), report liveness and readiness to the kubelet (health, ready) and log
// what it does (errors, log). There is deliberately no forward plugin: names outside
// cluster.local get SERVFAIL instead of a query leaving this machine.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

func main() {
	coremain.Run()
}

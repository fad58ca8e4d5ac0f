package ec2dns_test

import (
	"context"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// memEC2 answers DescribeInstances from memory and records each call's
// instance IDs. The batching test uses it: batching is the resolver's own
// logic, and under the race detector the loopback HTTP path occasionally
// lost the connection while the SDK read a large answer, which said nothing
// about batching. Every other test drives the real SDK over HTTP (fakeEC2).
type memEC2 struct {
	instances map[string]string
	mu        sync.Mutex
	calls     [][]string
}

func (m *memEC2) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	ids := slices.Sorted(slices.Values(in.InstanceIds))
	m.mu.Lock()
	m.calls = append(m.calls, ids)
	m.mu.Unlock()
	out := &ec2.DescribeInstancesOutput{}
	for _, id := range ids {
		if name, ok := m.instances[id]; ok {
			out.Reservations = append(out.Reservations, types.Reservation{Instances: []types.Instance{{InstanceId: aws.String(id), PrivateDnsName: aws.String(name)}}})
		}
	}
	return out, nil
}

func (m *memEC2) Calls() [][]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

package federation

import (
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

func TestMemberGrace(t *testing.T) {
	neverWatch := NewCluster("never", fake.NewClientset(), Nodes{}, Options{})
	never := NewMember("never", neverWatch, 30*time.Second)
	now := time.Now()
	if never.Usable(now) || never.Settled(now) {
		t.Error("Expected a member never contacted to be neither usable nor settled")
	}
	neverWatch.contact.observe("services", errors.New("connection refused"))
	if never.Settled(now) || !never.Settled(now.Add(31*time.Second)) {
		t.Error("Expected an unreachable unsynced member to settle after the grace")
	}

	watch := startCluster(t, fake.NewClientset(), "")
	m := NewMember("m", watch, 30*time.Second)
	now = time.Now()
	if !m.Usable(now) || !m.Settled(now) {
		t.Fatal("Expected a synced member to be usable")
	}
	if _, down := m.GraceLeft(now); down {
		t.Error("Expected no grace running while the API answers")
	}
	watch.contact.observe("services", errors.New("connection refused"))
	since, _ := m.Down()
	if !m.Usable(since.Add(29*time.Second)) || m.Usable(since.Add(30*time.Second)) {
		t.Error("Expected the shards to count for exactly the grace period")
	}
	if left, down := m.GraceLeft(since.Add(10 * time.Second)); !down || left != 20*time.Second {
		t.Errorf("Expected 20s of grace left, got %v %v", left, down)
	}
	if left, _ := m.GraceLeft(since.Add(time.Minute)); left != 0 {
		t.Errorf("Expected no grace left, got %v", left)
	}
	watch.contact.observe("services", nil)
	if !m.Usable(since.Add(time.Hour)) {
		t.Error("Expected the member usable again once its API answers")
	}
}

// TestMemberThatHangsSettlesAfterTheGrace: a member whose lists neither
// answer nor fail counts as failed unsyncedLimit after its watch started,
// and is settled (no healthy shard) once the grace has passed since then,
// never later (SPEC 4.5.1, 4.5.2).
func TestMemberThatHangsSettlesAfterTheGrace(t *testing.T) {
	client := fake.NewClientset()
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	client.PrependReactor("list", "*", func(clienttesting.Action) (bool, runtime.Object, error) {
		<-hang
		return true, nil, errors.New("stopped")
	})
	watch := NewCluster("hung", client, Nodes{}, Options{})
	m := NewMember("hung", watch, 200*time.Millisecond)
	watch.Start(nil)
	t.Cleanup(watch.Stop)
	now := time.Now()
	if m.HasSynced() || m.Settled(now) {
		t.Fatal("Expected a hung member neither synced nor settled at once")
	}
	if since, _ := m.Down(); !since.IsZero() {
		t.Fatalf("Expected no failure seen, got one since %v", since)
	}
	// SPEC 4.5.1's bound, pinned here rather than read from the code.
	const hangs = 15 * time.Second
	if m.Settled(now.Add(hangs)) {
		t.Error("Expected a hung member not settled before the grace has passed")
	}
	if !m.Settled(now.Add(hangs + 250*time.Millisecond)) {
		t.Error("Expected a hung member settled once the grace has passed since it counted as failed")
	}
}

package imds_test

// IBM's official VPC SDK (github.com/IBM/vpc-go-sdk, package vpcv1, v0.70.0), unchanged,
// drives every VPC API operation the emulator has against imdstest: what an operator's Go
// program does. The SDK is the oracle of the wire format: its structs name the properties,
// its options the query parameters and headers, and its unmarshallers refuse what it does not
// expect.

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/vpc-go-sdk/vpcv1"

	"github.com/imdsplay/imdsplay/imds/imdstest"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

// vpcSDK is a vpcv1 client of srv's VPC API, authenticated with token.
func vpcSDK(t *testing.T, srv *imdstest.Server, token string) *vpcv1.VpcV1 {
	t.Helper()
	auth, err := core.NewBearerTokenAuthenticator(token)
	if err != nil {
		t.Fatal(err)
	}
	vpc, err := vpcv1.NewVpcV1(&vpcv1.VpcV1Options{URL: srv.URL + "/v1", Authenticator: auth})
	if err != nil {
		t.Fatal(err)
	}
	vpc.Service.SetHTTPClient(srv.Client())
	return vpc
}

// sdkError checks that a call failed with status and IBM's code, and returns the first
// error's target name.
func sdkError(t *testing.T, what string, resp *core.DetailedResponse, err error, status int, code string) string {
	t.Helper()
	if err == nil || resp == nil {
		t.Fatalf("%s: got %v, %v; want %d %s", what, resp, err, status, code)
	}
	m, _ := resp.Result.(map[string]any)
	errs, _ := m["errors"].([]any)
	if resp.StatusCode != status || len(errs) != 1 {
		t.Fatalf("%s: got %d %v; want %d %s", what, resp.StatusCode, resp.Result, status, code)
	}
	first := errs[0].(map[string]any)
	if first["code"] != code {
		t.Fatalf("%s: code got %v; want %s (%v)", what, first["code"], code, first["message"])
	}
	target, _ := first["target"].(map[string]any)
	name, _ := target["name"].(string)
	return name
}

func sdkOK(t *testing.T, what string, resp *core.DetailedResponse, err error, status int) {
	t.Helper()
	if err != nil || resp == nil || resp.StatusCode != status {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Fatalf("%s: got %d %v; want %d", what, code, err, status)
	}
}

// fullPrototype is an instance by image with a network attachment, giving every property of
// vpcv1's variant the world can satisfy.
func fullPrototype(name string) *vpcv1.InstancePrototypeInstanceByImageInstanceByImageInstanceByNetworkAttachment {
	rg := &vpcv1.ResourceGroupIdentity{ID: core.StringPtr(scenario.DefaultResourceGroup)}
	return &vpcv1.InstancePrototypeInstanceByImageInstanceByImageInstanceByNetworkAttachment{
		AvailabilityPolicy:        &vpcv1.InstanceAvailabilityPolicyPrototype{HostFailure: core.StringPtr("stop")},
		ClusterNetworkAttachments: []vpcv1.InstanceClusterNetworkAttachmentPrototypeInstanceContext{},
		ConfidentialComputeMode:   core.StringPtr("disabled"),
		DefaultTrustedProfile: &vpcv1.InstanceDefaultTrustedProfilePrototype{
			AutoLink: core.BoolPtr(true), Target: &vpcv1.TrustedProfileIdentity{ID: core.StringPtr(scenario.DefaultProfileID)}},
		EnableSecureBoot: core.BoolPtr(true),
		Keys:             []vpcv1.KeyIdentityIntf{&vpcv1.KeyIdentity{ID: core.StringPtr(scenario.DefaultKeyID)}},
		MetadataService: &vpcv1.InstanceMetadataServicePrototype{
			Enabled: core.BoolPtr(true), Protocol: core.StringPtr("https"), ResponseHopLimit: core.Int64Ptr(3)},
		Name:                 core.StringPtr(name),
		PlacementTarget:      &vpcv1.InstancePlacementTargetPrototype{ID: core.StringPtr(scenario.DefaultPlacementID)},
		Profile:              &vpcv1.InstanceProfileIdentity{Name: core.StringPtr("bx2-4x16")},
		ReservationAffinity:  &vpcv1.InstanceReservationAffinityPrototype{Policy: core.StringPtr("disabled")},
		ResourceGroup:        rg,
		TotalVolumeBandwidth: core.Int64Ptr(3000),
		UserData:             core.StringPtr("#cloud-config\n"),
		VolumeAttachments: []vpcv1.VolumeAttachmentPrototype{{
			DeleteVolumeOnInstanceDelete: core.BoolPtr(false), Name: core.StringPtr("data-attachment"),
			Volume: &vpcv1.VolumeAttachmentPrototypeVolume{Name: core.StringPtr("data-volume"), Capacity: core.Int64Ptr(100),
				Profile: &vpcv1.VolumeProfileIdentity{Name: core.StringPtr("general-purpose")}, ResourceGroup: rg, UserTags: []string{"env:test"}},
		}},
		VPC: &vpcv1.VPCIdentity{ID: core.StringPtr(scenario.DefaultVPCID)},
		BootVolumeAttachment: &vpcv1.VolumeAttachmentPrototypeInstanceByImageContext{
			DeleteVolumeOnInstanceDelete: core.BoolPtr(true), Name: core.StringPtr("boot-attachment"),
			Volume: &vpcv1.VolumePrototypeInstanceByImageContext{Name: core.StringPtr("boot-volume"), Capacity: core.Int64Ptr(100),
				Profile: &vpcv1.VolumeProfileIdentity{Name: core.StringPtr("general-purpose")}, ResourceGroup: rg, UserTags: []string{"env:test"}},
		},
		Image: &vpcv1.ImageIdentity{ID: core.StringPtr(scenario.DefaultImageID)},
		Zone:  &vpcv1.ZoneIdentity{Name: core.StringPtr(scenario.DefaultZone)},
		PrimaryNetworkAttachment: &vpcv1.InstanceNetworkAttachmentPrototype{
			Name: core.StringPtr("att-primary"),
			VirtualNetworkInterface: &vpcv1.InstanceNetworkAttachmentPrototypeVirtualNetworkInterface{
				AllowIPSpoofing: core.BoolPtr(false), AutoDelete: core.BoolPtr(true), EnableInfrastructureNat: core.BoolPtr(true),
				Name: core.StringPtr("vni-primary"), ProtocolStateFilteringMode: core.StringPtr("auto"), ResourceGroup: rg,
				PrimaryIP: &vpcv1.VirtualNetworkInterfacePrimaryIPPrototype{Address: core.StringPtr("10.240.64.40"), AutoDelete: core.BoolPtr(true), Name: core.StringPtr("ip-primary")},
				Subnet:    &vpcv1.SubnetIdentity{ID: core.StringPtr(scenario.DefaultSubnetID)},
			},
		},
		NetworkAttachments: []vpcv1.InstanceNetworkAttachmentPrototype{{
			Name: core.StringPtr("att-second"),
			VirtualNetworkInterface: &vpcv1.InstanceNetworkAttachmentPrototypeVirtualNetworkInterface{
				Subnet: &vpcv1.SubnetIdentity{ID: core.StringPtr(scenario.DefaultSubnetID)}},
		}},
	}
}

// TestVPCSDK drives every VPC API operation through vpcv1: create with the full prototype,
// list with each filter and by pages, get with an ETag, update with If-Match fresh and stale,
// the instance's initialization, network interfaces and actions, delete, templates, keys and
// profiles.
func TestVPCSDK(t *testing.T) {
	srv := imdstest.NewServer(t, imdstest.WithKeys(fixture.Keys()))
	vpc := vpcSDK(t, srv, srv.UserToken())

	profiles, resp, err := vpc.ListInstanceProfiles(&vpcv1.ListInstanceProfilesOptions{})
	sdkOK(t, "ListInstanceProfiles", resp, err, 200)
	if len(profiles.Profiles) != 3 || *profiles.Profiles[0].Name != "bx2-2x8" {
		t.Errorf("profiles got %d, first %v", len(profiles.Profiles), profiles.Profiles[0].Name)
	}

	keys, resp, err := vpc.ListKeys(&vpcv1.ListKeysOptions{ResourceGroupID: core.StringPtr(scenario.DefaultResourceGroup), Limit: core.Int64Ptr(1)})
	sdkOK(t, "ListKeys", resp, err, 200)
	if len(keys.Keys) != 1 || *keys.TotalCount != 2 || keys.Next == nil {
		t.Fatalf("keys page got %d of %d, next %v", len(keys.Keys), *keys.TotalCount, keys.Next)
	}
	pager, err := vpc.NewKeysPager(&vpcv1.ListKeysOptions{Limit: core.Int64Ptr(1)})
	if err != nil {
		t.Fatal(err)
	}
	all, err := pager.GetAll()
	if err != nil || len(all) != 2 {
		t.Fatalf("keys pager got %d, %v; want both keys", len(all), err)
	}

	// Create with the full prototype.
	created, resp, err := vpc.CreateInstance(&vpcv1.CreateInstanceOptions{InstancePrototype: fullPrototype("sdk-full")})
	sdkOK(t, "CreateInstance", resp, err, 201)
	id := *created.ID
	if *created.AvailabilityPolicy.HostFailure != "stop" || !*created.EnableSecureBoot || *created.ReservationAffinity.Policy != "disabled" ||
		*created.TotalVolumeBandwidth != 3000 || *created.TotalNetworkBandwidth != 5000 || *created.Profile.Name != "bx2-4x16" {
		t.Errorf("settings not kept: %s %v %s %d %d %s", *created.AvailabilityPolicy.HostFailure, *created.EnableSecureBoot,
			*created.ReservationAffinity.Policy, *created.TotalVolumeBandwidth, *created.TotalNetworkBandwidth, *created.Profile.Name)
	}
	if len(created.NetworkAttachments) != 2 || *created.PrimaryNetworkAttachment.Name != "att-primary" || *created.PrimaryNetworkAttachment.PrimaryIP.Address != "10.240.64.40" {
		t.Errorf("network attachments got %d, primary %v", len(created.NetworkAttachments), created.PrimaryNetworkAttachment)
	}
	if len(created.VolumeAttachments) != 2 || *created.BootVolumeAttachment.Name != "boot-attachment" {
		t.Errorf("volume attachments got %d, boot %v", len(created.VolumeAttachments), created.BootVolumeAttachment)
	} else if v := created.BootVolumeAttachment.Volume; v == nil || *v.Name != "boot-volume" {
		t.Errorf("boot volume got %#v", v)
	}
	if ms := created.MetadataService; !*ms.Enabled || *ms.Protocol != "https" || *ms.ResponseHopLimit != 3 {
		t.Errorf("metadata service got %v %v %v", *ms.Enabled, *ms.Protocol, *ms.ResponseHopLimit)
	}

	// Every other variant: by network interface, by volume, by source snapshot, by catalog
	// offering (the world has no detached volume, snapshot or catalog: not found, at the
	// property's full path), by source template.
	nic := &vpcv1.InstancePrototypeInstanceByImageInstanceByImageInstanceByNetworkInterface{
		Name: core.StringPtr("sdk-nic"), Image: &vpcv1.ImageIdentity{ID: core.StringPtr(scenario.DefaultImageID)},
		Zone: &vpcv1.ZoneIdentity{Name: core.StringPtr(scenario.DefaultZone)},
		PrimaryNetworkInterface: &vpcv1.NetworkInterfacePrototype{Name: core.StringPtr("eth0"), AllowIPSpoofing: core.BoolPtr(false),
			Subnet:         &vpcv1.SubnetIdentity{ID: core.StringPtr(scenario.DefaultSubnetID)},
			PrimaryIP:      &vpcv1.NetworkInterfaceIPPrototype{Name: core.StringPtr("nic-ip")},
			SecurityGroups: []vpcv1.SecurityGroupIdentityIntf{}},
		NetworkInterfaces: []vpcv1.NetworkInterfacePrototype{{Subnet: &vpcv1.SubnetIdentity{CRN: core.StringPtr(strings.Replace(
			"crn:v1:bluemix:public:is:us-south-2:a/"+scenario.DefaultAccountID+"::subnet:ID", "ID", scenario.DefaultSubnetID, 1))}}},
	}
	_, resp, err = vpc.CreateInstance(&vpcv1.CreateInstanceOptions{InstancePrototype: nic})
	sdkOK(t, "CreateInstance by network interface", resp, err, 201)
	for _, tc := range []struct {
		name   string
		proto  vpcv1.InstancePrototypeIntf
		target string
	}{
		{"by-volume", &vpcv1.InstancePrototypeInstanceByVolumeInstanceByVolumeInstanceByNetworkAttachment{
			Zone: &vpcv1.ZoneIdentity{Name: core.StringPtr(scenario.DefaultZone)},
			BootVolumeAttachment: &vpcv1.VolumeAttachmentPrototypeInstanceByVolumeContext{
				Volume: &vpcv1.VolumeIdentity{ID: core.StringPtr("r006-00000000-0000-4000-8000-000000000000")}},
			PrimaryNetworkAttachment: &vpcv1.InstanceNetworkAttachmentPrototype{VirtualNetworkInterface: &vpcv1.InstanceNetworkAttachmentPrototypeVirtualNetworkInterface{
				Subnet: &vpcv1.SubnetIdentity{ID: core.StringPtr(scenario.DefaultSubnetID)}}},
		}, "boot_volume_attachment.volume.id"},
		{"by-source-snapshot", &vpcv1.InstancePrototypeInstanceBySourceSnapshotInstanceBySourceSnapshotInstanceByNetworkInterface{
			Zone: &vpcv1.ZoneIdentity{Name: core.StringPtr(scenario.DefaultZone)},
			BootVolumeAttachment: &vpcv1.VolumeAttachmentPrototypeInstanceBySourceSnapshotContext{
				Volume: &vpcv1.VolumePrototypeInstanceBySourceSnapshotContext{Profile: &vpcv1.VolumeProfileIdentity{Name: core.StringPtr("general-purpose")},
					SourceSnapshot: &vpcv1.SnapshotIdentity{ID: core.StringPtr("r006-snap")}}},
			PrimaryNetworkInterface: &vpcv1.NetworkInterfacePrototype{Subnet: &vpcv1.SubnetIdentity{ID: core.StringPtr(scenario.DefaultSubnetID)}},
		}, "boot_volume_attachment.volume.source_snapshot.id"},
		{"by-catalog-offering", &vpcv1.InstancePrototypeInstanceByCatalogOfferingInstanceByCatalogOfferingInstanceByNetworkInterface{
			Zone: &vpcv1.ZoneIdentity{Name: core.StringPtr(scenario.DefaultZone)},
			CatalogOffering: &vpcv1.InstanceCatalogOfferingPrototype{
				Version: &vpcv1.CatalogOfferingVersionIdentity{CRN: core.StringPtr("crn:v1:bluemix:public:globalcatalog-collection:global::version:x")}},
			PrimaryNetworkInterface: &vpcv1.NetworkInterfacePrototype{Subnet: &vpcv1.SubnetIdentity{ID: core.StringPtr(scenario.DefaultSubnetID)}},
		}, "catalog_offering.version.crn"},
		{"resource-group", func() vpcv1.InstancePrototypeIntf {
			p := fullPrototype("sdk-other-group")
			p.BootVolumeAttachment.Volume.ResourceGroup = &vpcv1.ResourceGroupIdentity{ID: core.StringPtr("other")}
			return p
		}(), "boot_volume_attachment.volume.resource_group.id"},
	} {
		_, resp, err := vpc.CreateInstance(&vpcv1.CreateInstanceOptions{InstancePrototype: tc.proto})
		if got := sdkError(t, "CreateInstance "+tc.name, resp, err, 400, "not_found"); got != tc.target {
			t.Errorf("CreateInstance %s: target got %q; want %q", tc.name, got, tc.target)
		}
	}
	fromTemplate, resp, err := vpc.CreateInstance(&vpcv1.CreateInstanceOptions{InstancePrototype: &vpcv1.InstancePrototypeInstanceBySourceTemplate{
		SourceTemplate:  &vpcv1.InstanceTemplateIdentity{ID: core.StringPtr(scenario.DefaultTemplateID)},
		Name:            core.StringPtr("sdk-from-template"),
		MetadataService: &vpcv1.InstanceMetadataServicePrototype{ResponseHopLimit: core.Int64Ptr(5)},
	}})
	sdkOK(t, "CreateInstance by source template", resp, err, 201)
	if ms := fromTemplate.MetadataService; !*ms.Enabled || *ms.Protocol != "https" || *ms.ResponseHopLimit != 5 {
		t.Errorf("template override got %v %v %v; want the template's enabled https with hop limit 5", *ms.Enabled, *ms.Protocol, *ms.ResponseHopLimit)
	}

	// List with each filter.
	listNames := func(o *vpcv1.ListInstancesOptions) []string {
		t.Helper()
		list, resp, err := vpc.ListInstances(o)
		sdkOK(t, "ListInstances", resp, err, 200)
		var names []string
		for _, in := range list.Instances {
			names = append(names, *in.Name)
		}
		return names
	}
	everyone := []string{scenario.DefaultInstanceName, "sdk-full", "sdk-nic", "sdk-from-template"}
	pg := "crn:v1:bluemix:public:is:us-south:a/" + scenario.DefaultAccountID + "::placement-group:" + scenario.DefaultPlacementID
	vpcCRN := "crn:v1:bluemix:public:is:us-south:a/" + scenario.DefaultAccountID + "::vpc:" + scenario.DefaultVPCID
	for _, tc := range []struct {
		name string
		o    *vpcv1.ListInstancesOptions
		want []string
	}{
		{"none", &vpcv1.ListInstancesOptions{}, everyone},
		{"name", &vpcv1.ListInstancesOptions{Name: core.StringPtr("sdk-nic")}, []string{"sdk-nic"}},
		{"resource_group.id", &vpcv1.ListInstancesOptions{ResourceGroupID: core.StringPtr(scenario.DefaultResourceGroup)}, everyone},
		{"resource_group.id/other", &vpcv1.ListInstancesOptions{ResourceGroupID: core.StringPtr("nope")}, nil},
		{"vpc.id", &vpcv1.ListInstancesOptions{VPCID: core.StringPtr(scenario.DefaultVPCID)}, everyone},
		{"vpc.id/other", &vpcv1.ListInstancesOptions{VPCID: core.StringPtr("nope")}, nil},
		{"vpc.crn", &vpcv1.ListInstancesOptions{VPCCRN: core.StringPtr(vpcCRN)}, everyone},
		{"vpc.name", &vpcv1.ListInstancesOptions{VPCName: core.StringPtr("my-test-vpc")}, everyone},
		{"placement_group.id", &vpcv1.ListInstancesOptions{PlacementGroupID: core.StringPtr(scenario.DefaultPlacementID)}, []string{scenario.DefaultInstanceName, "sdk-full"}},
		{"placement_group.crn", &vpcv1.ListInstancesOptions{PlacementGroupCRN: core.StringPtr(pg)}, []string{scenario.DefaultInstanceName, "sdk-full"}},
		{"placement_group.name", &vpcv1.ListInstancesOptions{PlacementGroupName: core.StringPtr("my-spread-group")}, []string{scenario.DefaultInstanceName, "sdk-full"}},
		{"reservation_affinity.policy", &vpcv1.ListInstancesOptions{ReservationAffinityPolicy: core.StringPtr("disabled")}, []string{"sdk-full"}},
		{"cluster_network.id", &vpcv1.ListInstancesOptions{ClusterNetworkID: core.StringPtr("x")}, nil},
		{"cluster_network.crn", &vpcv1.ListInstancesOptions{ClusterNetworkCRN: core.StringPtr("x")}, nil},
		{"cluster_network.name", &vpcv1.ListInstancesOptions{ClusterNetworkName: core.StringPtr("x")}, nil},
		{"dedicated_host.id", &vpcv1.ListInstancesOptions{DedicatedHostID: core.StringPtr("x")}, nil},
		{"dedicated_host.crn", &vpcv1.ListInstancesOptions{DedicatedHostCRN: core.StringPtr("x")}, nil},
		{"dedicated_host.name", &vpcv1.ListInstancesOptions{DedicatedHostName: core.StringPtr("x")}, nil},
		{"reservation.id", &vpcv1.ListInstancesOptions{ReservationID: core.StringPtr("x")}, nil},
		{"reservation.crn", &vpcv1.ListInstancesOptions{ReservationCRN: core.StringPtr("x")}, nil},
		{"reservation.name", &vpcv1.ListInstancesOptions{ReservationName: core.StringPtr("x")}, nil},
		{"two-filters", &vpcv1.ListInstancesOptions{VPCID: core.StringPtr(scenario.DefaultVPCID), Name: core.StringPtr("sdk-full")}, []string{"sdk-full"}},
	} {
		if got := listNames(tc.o); !slices.Equal(got, tc.want) {
			t.Errorf("ListInstances %s: got %v; want %v", tc.name, got, tc.want)
		}
	}
	// By pages, through the SDK's pager, which follows next.href with the filter kept.
	ipager, err := vpc.NewInstancesPager(&vpcv1.ListInstancesOptions{Limit: core.Int64Ptr(1), VPCID: core.StringPtr(scenario.DefaultVPCID)})
	if err != nil {
		t.Fatal(err)
	}
	var paged []string
	for ipager.HasNext() {
		page, err := ipager.GetNext()
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range page {
			paged = append(paged, *in.Name)
		}
	}
	if !slices.Equal(paged, everyone) {
		t.Errorf("pages got %v; want %v", paged, everyone)
	}

	// Get with an ETag; update with If-Match, stale and fresh.
	_, resp, err = vpc.GetInstance(&vpcv1.GetInstanceOptions{ID: &id})
	sdkOK(t, "GetInstance", resp, err, 200)
	etag := resp.GetHeaders().Get("ETag")
	if etag == "" {
		t.Fatal("GetInstance sent no ETag")
	}
	patch, _ := (&vpcv1.InstancePatch{Name: core.StringPtr("sdk-renamed")}).AsPatch()
	updated, resp, err := vpc.UpdateInstance(&vpcv1.UpdateInstanceOptions{ID: &id, InstancePatch: patch, IfMatch: &etag})
	sdkOK(t, "UpdateInstance with a fresh If-Match", resp, err, 200)
	if *updated.Name != "sdk-renamed" || resp.GetHeaders().Get("ETag") == etag {
		t.Errorf("update got %q, ETag %q (was %q)", *updated.Name, resp.GetHeaders().Get("ETag"), etag)
	}
	patch, _ = (&vpcv1.InstancePatch{MetadataService: &vpcv1.InstanceMetadataServicePatch{Enabled: core.BoolPtr(false)}}).AsPatch()
	_, resp, err = vpc.UpdateInstance(&vpcv1.UpdateInstanceOptions{ID: &id, InstancePatch: patch, IfMatch: &etag})
	if got := sdkError(t, "UpdateInstance with a stale If-Match", resp, err, 412, "precondition_failed"); got != "If-Match" {
		t.Errorf("stale If-Match: target got %q", got)
	}
	if ms, _ := srv.Emulator().MetadataService(id); !ms.Enabled {
		t.Error("a refused update changed the metadata service")
	}

	// The instance's parts and actions.
	init, resp, err := vpc.GetInstanceInitialization(&vpcv1.GetInstanceInitializationOptions{ID: &id})
	sdkOK(t, "GetInstanceInitialization", resp, err, 200)
	if len(init.Keys) != 1 || *init.DefaultTrustedProfile.Target.ID != scenario.DefaultProfileID {
		t.Errorf("initialization got %d keys, %v", len(init.Keys), init.DefaultTrustedProfile)
	}
	nics, resp, err := vpc.ListInstanceNetworkInterfaces(&vpcv1.ListInstanceNetworkInterfacesOptions{InstanceID: core.StringPtr(scenario.DefaultInstanceID)})
	sdkOK(t, "ListInstanceNetworkInterfaces", resp, err, 200)
	if len(nics.NetworkInterfaces) != 1 || len(nics.NetworkInterfaces[0].FloatingIps) != 1 || *nics.NetworkInterfaces[0].FloatingIps[0].Address != "169.47.94.48" {
		t.Errorf("network interfaces got %+v", nics.NetworkInterfaces)
	}
	action, resp, err := vpc.CreateInstanceAction(&vpcv1.CreateInstanceActionOptions{InstanceID: &id, Type: core.StringPtr("stop")})
	sdkOK(t, "CreateInstanceAction", resp, err, 201)
	if *action.Status != "completed" {
		t.Errorf("action got %s", *action.Status)
	}

	// Delete: a stale If-Match is refused, then the instance goes.
	resp, err = vpc.DeleteInstance(&vpcv1.DeleteInstanceOptions{ID: &id, IfMatch: &etag})
	sdkError(t, "DeleteInstance with a stale If-Match", resp, err, 412, "precondition_failed")
	resp, err = vpc.DeleteInstance(&vpcv1.DeleteInstanceOptions{ID: &id})
	sdkOK(t, "DeleteInstance", resp, err, 204)
	_, resp, err = vpc.GetInstance(&vpcv1.GetInstanceOptions{ID: &id})
	sdkError(t, "GetInstance after DeleteInstance", resp, err, 404, "not_found")

	// Templates: create (the full prototype, as a template), list, get, rename, delete.
	tp := fullPrototype("sdk-template")
	tp.PrimaryNetworkAttachment.VirtualNetworkInterface.(*vpcv1.InstanceNetworkAttachmentPrototypeVirtualNetworkInterface).PrimaryIP = nil
	tmpl, resp, err := vpc.CreateInstanceTemplate(&vpcv1.CreateInstanceTemplateOptions{InstanceTemplatePrototype: &vpcv1.InstanceTemplatePrototype{
		AvailabilityPolicy: tp.AvailabilityPolicy, ConfidentialComputeMode: tp.ConfidentialComputeMode, DefaultTrustedProfile: tp.DefaultTrustedProfile,
		EnableSecureBoot: tp.EnableSecureBoot, Keys: tp.Keys, MetadataService: tp.MetadataService, Name: tp.Name, PlacementTarget: tp.PlacementTarget,
		Profile: tp.Profile, ReservationAffinity: tp.ReservationAffinity, ResourceGroup: tp.ResourceGroup, TotalVolumeBandwidth: tp.TotalVolumeBandwidth,
		UserData: tp.UserData, VolumeAttachments: tp.VolumeAttachments, VPC: tp.VPC, BootVolumeAttachment: tp.BootVolumeAttachment, Image: tp.Image,
		Zone: tp.Zone, PrimaryNetworkAttachment: tp.PrimaryNetworkAttachment, NetworkAttachments: tp.NetworkAttachments,
	}})
	sdkOK(t, "CreateInstanceTemplate", resp, err, 201)
	tv := tmpl.(*vpcv1.InstanceTemplate)
	tid := *tv.ID
	if len(tv.VolumeAttachments) != 1 || *tv.BootVolumeAttachment.Name != "boot-attachment" || len(tv.NetworkAttachments) != 1 || *tv.AvailabilityPolicy.HostFailure != "stop" {
		t.Errorf("template got volumes %d, boot %v, networks %d, policy %v", len(tv.VolumeAttachments), tv.BootVolumeAttachment, len(tv.NetworkAttachments), tv.AvailabilityPolicy)
	}
	templates, resp, err := vpc.ListInstanceTemplates(&vpcv1.ListInstanceTemplatesOptions{})
	sdkOK(t, "ListInstanceTemplates", resp, err, 200)
	if len(templates.Templates) != 2 {
		t.Errorf("templates got %d; want 2", len(templates.Templates))
	}
	_, resp, err = vpc.GetInstanceTemplate(&vpcv1.GetInstanceTemplateOptions{ID: &tid})
	sdkOK(t, "GetInstanceTemplate", resp, err, 200)
	// An instance from this template gets its data volume and second attachment.
	again, resp, err := vpc.CreateInstance(&vpcv1.CreateInstanceOptions{InstancePrototype: &vpcv1.InstancePrototypeInstanceBySourceTemplate{
		SourceTemplate: &vpcv1.InstanceTemplateIdentity{ID: &tid}, Name: core.StringPtr("sdk-from-full-template")}})
	sdkOK(t, "CreateInstance from the full template", resp, err, 201)
	if len(again.VolumeAttachments) != 2 || len(again.NetworkAttachments) != 2 || *again.AvailabilityPolicy.HostFailure != "stop" {
		t.Errorf("instance from the full template got %d volumes, %d networks, %s", len(again.VolumeAttachments), len(again.NetworkAttachments), *again.AvailabilityPolicy.HostFailure)
	}
	tpatch, _ := (&vpcv1.InstanceTemplatePatch{Name: core.StringPtr("sdk-template-renamed")}).AsPatch()
	renamed, resp, err := vpc.UpdateInstanceTemplate(&vpcv1.UpdateInstanceTemplateOptions{ID: &tid, InstanceTemplatePatch: tpatch})
	sdkOK(t, "UpdateInstanceTemplate", resp, err, 200)
	if *renamed.(*vpcv1.InstanceTemplate).Name != "sdk-template-renamed" {
		t.Errorf("template rename got %v", renamed)
	}
	resp, err = vpc.DeleteInstanceTemplate(&vpcv1.DeleteInstanceTemplateOptions{ID: &tid})
	sdkOK(t, "DeleteInstanceTemplate", resp, err, 204)
	_, resp, err = vpc.GetInstanceTemplate(&vpcv1.GetInstanceTemplateOptions{ID: &tid})
	sdkError(t, "GetInstanceTemplate after delete", resp, err, 404, "not_found")
}

// TestVPCSDKAccess: a trusted profile that can read but not write, through the SDK: the
// default profile my-vsi-reader (Viewer) lists and gets, and its update is IBM's 403.
func TestVPCSDKAccess(t *testing.T) {
	srv := imdstest.NewServer(t, imdstest.WithKeys(fixture.Keys()))
	auth, err := core.NewVpcInstanceAuthenticatorBuilder().SetURL(srv.URL).SetServiceVersion("2025-08-26").SetClient(srv.Client()).Build()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.GetToken()
	if err != nil {
		t.Fatal(err)
	}
	vpc := vpcSDK(t, srv, tok)
	_, resp, err := vpc.ListInstances(&vpcv1.ListInstancesOptions{})
	sdkOK(t, "ListInstances as my-vsi-reader", resp, err, 200)
	patch, _ := (&vpcv1.InstancePatch{MetadataService: &vpcv1.InstanceMetadataServicePatch{Enabled: core.BoolPtr(false)}}).AsPatch()
	_, resp, err = vpc.UpdateInstance(&vpcv1.UpdateInstanceOptions{ID: core.StringPtr(scenario.DefaultInstanceID), InstancePatch: patch})
	sdkError(t, "UpdateInstance as my-vsi-reader", resp, err, http.StatusForbidden, "not_authorized")
	if ms, _ := srv.Emulator().MetadataService(""); !ms.Enabled {
		t.Error("a refused update switched the metadata service off")
	}
}

package scenario

import "time"

// Identifiers of the default scenario. They are stable across releases so that docs, examples
// and tests can name them; most are the sample values of IBM's own documentation, so the
// documented commands run unchanged.
const (
	DefaultAccountID     = "a1234567b89c4d0e8f1a2b3c4d5e6f70"
	DefaultRegion        = "us-south"
	DefaultZone          = "us-south-2"
	DefaultInstanceID    = "0727_ed12480a-40a4-41a0-98e3-6dfac8b25ad6"
	DefaultInstanceName  = "my-virtual-server-2"
	DefaultVPCID         = "r006-01030e3c-2663-4f7d-ac55-651929dafe37"
	DefaultSubnetID      = "0727-f24237f5-bdf0-4b94-ab4c-167a44b8bcb5"
	DefaultImageID       = "r006-aa2af291-45b3-4f18-801c-8b7985e928f7"
	DefaultResourceGroup = "6edefe513d934fdd872e78ee6a8e73ef"
	// DefaultProfileID is the instance's default trusted profile, auto-linked.
	DefaultProfileID   = "Profile-9fd84246-7df4-4667-94e4-8ecde51d5ac5"
	DefaultProfileName = "my-vsi-reader"
	// LinkedProfileID is a second profile linked to the instance (the one IBM's examples name).
	LinkedProfileID   = "Profile-8dd84246-7df4-4667-94e4-8cede51d5ac5"
	LinkedProfileName = "my-cos-writer"
	// UnlinkedProfileID exists in the account but is not linked to the instance.
	UnlinkedProfileID   = "Profile-1ab2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
	UnlinkedProfileName = "billing-admin"
	// OperatorAPIKey is the fake API key IAM's apikey grant accepts for the operator.
	OperatorAPIKey       = "imdsplay-operator-api-key-not-a-secret"
	DefaultKeyID         = "r006-82679077-ac3b-4c10-be16-63e9c21f0f45"
	SecondKeyID          = "r006-2b9cbd1a-9f57-4d1b-a9f5-3c0c3ad0e8d2"
	DefaultPlacementID   = "r006-418c0a4a-a1b6-4f87-9c4e-2a2b7e1d9a10"
	DefaultTemplateID    = "0727-7e3d8f5c-9b1a-4c2e-8d4f-6a5b3c2d1e0f"
	DefaultTemplateName  = "my-instance-template"
	NetworkAttachmentID  = "0727-a3ff4d3e-be95-4a52-8025-b55b3c3285ea"
	NetworkInterfaceID   = "0727-7ca88dfb-8962-469d-b1de-1dd56f4c3275"
	BootAttachmentID     = "0727-241f39a8-3573-4ebc-b512-33508eb970c9"
	BootVolumeID         = "r006-9afd6e01-0466-4e7b-a38b-75bf39469a42"
	SoftwareAttachmentID = "0727-5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
)

// Default returns the ready-to-use world: one running instance with the metadata service
// enabled over http with hop limit 1, a default trusted profile that is auto-linked and may
// read the VPC but not change it (Viewer), a second linked profile with no VPC role and one
// unlinked profile, an operator who is an Administrator of the VPC, two SSH keys, a placement
// group and one instance template.
func Default() *Scenario {
	acct := DefaultAccountID
	crn := func(scope, typ, id string) string {
		return "crn:v1:bluemix:public:is:" + scope + ":a/" + acct + "::" + typ + ":" + id
	}
	created := time.Date(2025, 3, 6, 19, 24, 2, 0, time.UTC)
	profileCRN := func(id string) string { return "crn:v1:bluemix:public:iam-identity::a/" + acct + "::profile:" + id }
	return &Scenario{
		Name:      "default",
		AccountID: acct,
		Region:    DefaultRegion,
		Operator: Operator{
			IAMID:       "IBMid-6900028XYZ",
			Email:       "test.user@ibm.com",
			APIKey:      OperatorAPIKey,
			AccountName: "Test Account",
			IMSUserID:   8009626,
			Policies:    []Policy{{Service: VPCService, Roles: []string{"Administrator"}}},
		},
		ResourceGroup: Reference{ID: DefaultResourceGroup, Name: "defaults", ResourceType: "resource_group"},
		TrustedProfiles: []TrustedProfile{
			{ID: DefaultProfileID, Name: DefaultProfileName, CRN: profileCRN(DefaultProfileID), LinkedInstances: []string{DefaultInstanceID},
				Policies: []Policy{{Service: VPCService, Roles: []string{"Viewer"}}}},
			{ID: LinkedProfileID, Name: LinkedProfileName, CRN: profileCRN(LinkedProfileID), LinkedInstances: []string{DefaultInstanceID},
				Policies: []Policy{{Service: "cloud-object-storage", Roles: []string{"Writer"}}}},
			{ID: UnlinkedProfileID, Name: UnlinkedProfileName, CRN: profileCRN(UnlinkedProfileID),
				Policies: []Policy{{Service: "billing", Roles: []string{"Administrator"}}}},
		},
		VPCs:    []Reference{{ID: DefaultVPCID, Name: "my-test-vpc", CRN: crn(DefaultRegion, "vpc", DefaultVPCID), ResourceType: "vpc"}},
		Subnets: []Subnet{{Reference: Reference{ID: DefaultSubnetID, Name: "my-subnet-01", CRN: crn(DefaultZone, "subnet", DefaultSubnetID), ResourceType: "subnet"}, Zone: DefaultZone, CIDR: "10.240.64.0/24", VPC: DefaultVPCID}},
		Images:  []Reference{{ID: DefaultImageID, Name: "ibm-ubuntu-24-04-6-minimal-amd64-3", CRN: crn(DefaultRegion, "image", DefaultImageID), ResourceType: "image"}},
		Keys: []Key{
			{ID: DefaultKeyID, Name: "learner-ed25519", CRN: crn(DefaultRegion, "key", DefaultKeyID), CreatedAt: created.Add(-48 * time.Hour), Type: "ed25519", Length: 256,
				PublicKey:   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILNVoxuhxSVp5ifOBYwY2LKv34kwTPGXieUi2Pm7px22",
				Fingerprint: "SHA256:7JEOQiFYXOhk+gBuIpd2FSQtvuCVoUW1W4E2Bu0MdAA"},
			{ID: SecondKeyID, Name: "ops-rsa", CRN: crn(DefaultRegion, "key", SecondKeyID), CreatedAt: created.Add(-24 * time.Hour), Type: "rsa", Length: 2048,
				PublicKey:   "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDS0lvb6XKQrDe/FMl1ICKroYt290uXkZN4834i3oWDpXeSURxsEVWcd25UREAtuyueM9CsCTJam6V1OoGWS9rq8uMkL46sPlh1guHQy6bIyNGnPV6A7dWijdnURsJA0fysEQScq4DbHSwfAMizH5369UWxpC9pc3fPilTLoCl1LewbepJYQeHm3QSwT04gLwPLWt24uE4+RoAIM5Q8Qh/AI+F05ODo/ZJGCVJv0aUdJNrj+/5PZTqFRbooivFyEfWoAlw5caF/oLcwq6mkVXx/wqxraPpM9pjEp+2ZLHaG+qzm7DhuadQFlkc8A/3LtImEl+kkQIJl2Fc9WG2Ohbg5",
				Fingerprint: "SHA256:0UD1DCu+Jsc+8liKuiQFM7glFLN5KkW+SWJnlHuJUpw"},
		},
		PlacementGroups: []PlacementGroup{{ID: DefaultPlacementID, Name: "my-spread-group", CRN: crn(DefaultRegion, "placement-group", DefaultPlacementID), CreatedAt: created.Add(-72 * time.Hour), LifecycleState: "stable", ResourceType: "placement_group", Strategy: "host_spread"}},
		Profiles: []InstanceProfile{
			{Name: "bx2-2x8", VCPU: 2, Architecture: "amd64", Manufacturer: "intel", MemoryGiB: 8, Bandwidth: 4000},
			{Name: "cx2-2x4", VCPU: 2, Architecture: "amd64", Manufacturer: "intel", MemoryGiB: 4, Bandwidth: 4000},
			{Name: "bx2-4x16", VCPU: 4, Architecture: "amd64", Manufacturer: "intel", MemoryGiB: 16, Bandwidth: 8000},
		},
		Instances: []Instance{{
			ID: DefaultInstanceID, Name: DefaultInstanceName, CRN: crn(DefaultZone, "instance", DefaultInstanceID), CreatedAt: created,
			Status: "running", Zone: DefaultZone, Profile: "bx2-2x8", Image: DefaultImageID, VPC: DefaultVPCID,
			MetadataService:   MetadataService{Enabled: true, Protocol: "http", ResponseHopLimit: 1},
			DefaultProfile:    &DefaultTrustedProfile{AutoLink: true, Target: TrustedProfileTarget{ID: DefaultProfileID}},
			Keys:              []string{DefaultKeyID, SecondKeyID},
			PlacementGroup:    DefaultPlacementID,
			NetworkInterfaces: []NetworkInterface{{ID: NetworkInterfaceID, Name: "eth0", CreatedAt: created, PrimaryIPv4Address: "10.240.64.11", FloatingIP: "169.47.94.48", Subnet: DefaultSubnetID}},
			NetworkAttachments: []NetworkInterface{{ID: NetworkAttachmentID, Name: "eth0", CreatedAt: created, PrimaryIPv4Address: "10.240.64.11", FloatingIP: "169.47.94.48", Subnet: DefaultSubnetID,
				VNI: "0727-dda9244a-64b9-421b-87e9-70549a70b4c3"}},
			VolumeAttachments: []VolumeAttachment{{ID: BootAttachmentID, Name: "undaunted-starved-slander-galleria", CreatedAt: created, Type: "boot", Bandwidth: 1000,
				DeviceID: BootAttachmentID + "-mzpzd", DeleteWith: true,
				Volume: Reference{ID: BootVolumeID, Name: "eat-client-poc-boot-1741289020000", CRN: crn(DefaultZone, "volume", BootVolumeID), ResourceType: "volume"}}},
			SoftwareAttachments: []SoftwareAttachment{{ID: SoftwareAttachmentID, Name: "licensed-db-engine", CreatedAt: created, LifecycleState: "stable",
				OfferingVersionCRN:  "crn:v1:bluemix:public:globalcatalog-collection:global::version:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
				PlanCRN:             "crn:v1:bluemix:public:globalcatalog-collection:global::plan:5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
				OfferingInstanceCRN: "crn:v1:bluemix:public:resource-controller::a/" + acct + "::resource-instance:7f8e9d0c-1b2a-4c3d-9e4f-5a6b7c8d9e0f",
				LicensedSoftwareSKU: "DB-ENGINE-STD", LicensedSoftwareKey: "LIC-4F2A-9C1D-77E0"}},
			UserData: "#cloud-config\npackage_update: true\npackages:\n  - jq\n",
		}},
		Templates: []Template{{
			ID: DefaultTemplateID, Name: DefaultTemplateName, CRN: crn(DefaultRegion, "instance-template", DefaultTemplateID), CreatedAt: created.Add(time.Hour),
			Zone: DefaultZone, Profile: "bx2-2x8", Image: DefaultImageID, VPC: DefaultVPCID, Subnet: DefaultSubnetID, Keys: []string{DefaultKeyID},
			MetadataService: MetadataService{Enabled: true, Protocol: "https", ResponseHopLimit: 2},
			DefaultProfile:  &DefaultTrustedProfile{AutoLink: true, Target: TrustedProfileTarget{ID: DefaultProfileID}},
		}},
	}
}

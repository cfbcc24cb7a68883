package wire

// Data Type values of Image Data and Data Transfer Data (RFC 5415 §4.6.26,
// §4.6.15).
const (
	DataIncluded = 1 // a block follows
	DataEOF      = 2 // the last block
	DataError    = 5 // an error occurred; the transfer is aborted
)

// Data Mode values of Data Transfer Data and Data Transfer Mode (§4.6.16).
const (
	DataModeCrash      = 1
	DataModeMemoryDump = 2
)

func checkDataType(t uint8) error {
	if t != DataIncluded && t != DataEOF && t != DataError {
		return errorf("data type", 0, ErrInvalid, "value %d, want 1, 2 or 5", t)
	}
	return nil
}

// ImageData is the Image Data element (RFC 5415 §4.6.26): one block of a
// firmware image, at most 1024 bytes; no data when DataType is DataError.
type ImageData struct {
	DataType uint8
	Data     []byte
}

// Type returns TypeImageData.
func (*ImageData) Type() ElementType { return TypeImageData }

// AppendBinary appends the value.
func (e *ImageData) AppendBinary(b []byte) ([]byte, error) {
	if err := checkDataType(e.DataType); err != nil {
		return b, err
	}
	if err := checkLen("data", len(e.Data), 0, 1024); err != nil {
		return b, err
	}
	return append(append(b, e.DataType), e.Data...), nil
}

// UnmarshalBinary decodes the value.
func (e *ImageData) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.DataType = c.u8("data type")
	if c.err == nil {
		if err := checkDataType(e.DataType); err != nil {
			return err
		}
		if err := checkLen("data", c.remaining(), 0, 1024); err != nil {
			return err
		}
	}
	e.Data = c.rest()
	return c.finish()
}

// ImageIdentifier is the Image Identifier element (RFC 5415 §4.6.27): the
// firmware a WTP should run, named by a vendor (1–1024 bytes of UTF-8).
type ImageIdentifier struct {
	Vendor uint32
	Data   string
}

// Type returns TypeImageIdentifier.
func (*ImageIdentifier) Type() ElementType { return TypeImageIdentifier }

// AppendBinary appends the value.
func (e *ImageIdentifier) AppendBinary(b []byte) ([]byte, error) {
	if err := checkStr("data", e.Data, 1, 1024); err != nil {
		return b, err
	}
	return append(appendU32(b, e.Vendor), e.Data...), nil
}

// UnmarshalBinary decodes the value.
func (e *ImageIdentifier) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Vendor = c.u32("vendor identifier")
	e.Data = c.restStr(1, 1024, "data")
	return c.finish()
}

// ImageInformation is the Image Information element (RFC 5415 §4.6.28):
// the image's size and MD5 hash.
type ImageInformation struct {
	FileSize uint32
	Hash     [16]byte
}

// Type returns TypeImageInformation.
func (*ImageInformation) Type() ElementType { return TypeImageInformation }

// AppendBinary appends the value.
func (e *ImageInformation) AppendBinary(b []byte) ([]byte, error) {
	return append(appendU32(b, e.FileSize), e.Hash[:]...), nil
}

// UnmarshalBinary decodes the value.
func (e *ImageInformation) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.FileSize = c.u32("file size")
	copy(e.Hash[:], c.bytes(16, "hash"))
	return c.finish()
}

// InitiateDownload is the Initiate Download element (RFC 5415 §4.6.29); it
// has no value.
type InitiateDownload struct{}

// Type returns TypeInitiateDownload.
func (*InitiateDownload) Type() ElementType { return TypeInitiateDownload }

// AppendBinary appends nothing.
func (*InitiateDownload) AppendBinary(b []byte) ([]byte, error) { return b, nil }

// UnmarshalBinary accepts only an empty value.
func (*InitiateDownload) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	return c.finish()
}

// DataTransferData is the Data Transfer Data element (RFC 5415 §4.6.15):
// one block of crash or memory-dump data from the WTP.
type DataTransferData struct {
	DataType uint8
	DataMode uint8
	Data     []byte
}

// Type returns TypeDataTransferData.
func (*DataTransferData) Type() ElementType { return TypeDataTransferData }

// AppendBinary appends the value.
func (e *DataTransferData) AppendBinary(b []byte) ([]byte, error) {
	if err := checkDataType(e.DataType); err != nil {
		return b, err
	}
	if err := checkEnum("data mode", e.DataMode, 1, 2); err != nil {
		return b, err
	}
	if err := checkLen("data", len(e.Data), 0, MaxElementsLen-elementHeaderLen-4); err != nil {
		return b, err
	}
	return append(appendU16(append(b, e.DataType, e.DataMode), uint16(len(e.Data))), e.Data...), nil
}

// UnmarshalBinary decodes the value.
func (e *DataTransferData) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.DataType = c.u8("data type")
	if c.err == nil {
		if err := checkDataType(e.DataType); err != nil {
			return err
		}
	}
	e.DataMode = c.enumU8("data mode", 1, 2)
	e.Data = c.bytes(int(c.u16("data length")), "data")
	return c.finish()
}

// DataTransferMode is the Data Transfer Mode element (RFC 5415 §4.6.16).
type DataTransferMode struct{ DataMode uint8 }

// Type returns TypeDataTransferMode.
func (*DataTransferMode) Type() ElementType { return TypeDataTransferMode }

// AppendBinary appends the value.
func (e *DataTransferMode) AppendBinary(b []byte) ([]byte, error) {
	if err := checkEnum("data mode", e.DataMode, 1, 2); err != nil {
		return b, err
	}
	return append(b, e.DataMode), nil
}

// UnmarshalBinary decodes the value.
func (e *DataTransferMode) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.DataMode = c.enumU8("data mode", 1, 2)
	return c.finish()
}

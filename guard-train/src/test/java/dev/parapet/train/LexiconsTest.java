package dev.parapet.train;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LexiconsTest {

    @Test
    void should_rank_pieces_by_the_texts_holding_them_and_leave_special_tokens_out() {
        List<List<int[]>> texts = List.of(
                List.of(new int[]{101, 7, 7, 7, 9, 102}), // 7 counts once for this text
                List.of(new int[]{101, 9, 102}, new int[]{101, 5, 102}),
                List.of(new int[]{101, 9, 5, 102}),
                // a literal "[SEP]" inside a text must not make the special id a word piece
                List.of(new int[]{101, 102, 3, 102}));
        // 9: three texts; 5: two; 3 and 7: one each (smaller id first); 101 and 102 never
        assertThat(Lexicons.mostFrequent(texts, 10)).containsExactly(9, 5, 3, 7);
        assertThat(Lexicons.mostFrequent(texts, 2)).containsExactly(9, 5);
        assertThatThrownBy(() -> Lexicons.mostFrequent(texts, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}

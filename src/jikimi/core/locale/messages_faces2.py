"""Korean (and English where the English differs from the msgid) messages of faces2: face
search in videos and the optional synthetic-media detector."""

KO: dict[str, str] = {
    "The configured synthetic-media model cannot be used, so there is no synthetic-media "
    "score: matches are by face similarity only.":
        "설정된 합성 미디어 모델을 사용할 수 없어 합성 미디어 점수가 없습니다. 얼굴 유사도로만 "
        "찾습니다.",
    "A synthetic-media model is configured ({model}), but no evaluation of it is recorded: "
    "its score comes from an unevaluated model and is not evidence that the material is or "
    "is not synthetic. A face match is never acted on automatically; a person reviews every "
    "one.":
        "합성 미디어 모델({model})이 설정되어 있지만 그 성능 평가 기록이 없습니다. 점수는 "
        "평가되지 않은 모델이 낸 것이므로, 자료가 합성물인지 아닌지의 근거가 되지 않습니다. "
        "얼굴 일치는 자동으로 처리되지 않으며, 모든 결과를 사람이 검토합니다.",
    "Synthetic-media model {model}, evaluated on {dataset} ({synthetic} synthetic and "
    "{authentic} authentic items): at a score of {threshold} or more it flagged {tpr} of the "
    "synthetic and {fpr} of the authentic items. Its score is a hint for the reviewer, never "
    "a decision.":
        "합성 미디어 모델 {model}: {dataset}(합성 {synthetic}건, 실제 {authentic}건)으로 "
        "평가되었습니다. 점수 {threshold} 이상을 합성으로 볼 때 합성 자료의 {tpr}, 실제 자료의 "
        "{fpr}를 합성으로 판정했습니다. 점수는 검토자를 위한 참고일 뿐, 판단이 아닙니다.",
    "The image or video is analysed on the server and discarded; nothing of it is stored. "
    "Videos are searched one frame per second, at most 60 frames.":
        "이미지나 영상은 서버에서 분석한 뒤 버려지며, 아무것도 저장되지 않습니다. 영상은 1초에 "
        "한 프레임씩, 최대 60프레임을 검색합니다.",
    "{n} video frames searched.": "영상 프레임 {n}개를 검색했습니다.",
    "Synthetic-media score": "합성 미디어 점수",
    "unevaluated model: not evidence": "평가되지 않은 모델: 근거 아님",
    "No face found in the sampled frames of this video.":
        "이 영상에서 뽑은 프레임에서 얼굴을 찾지 못했습니다.",
}

EN: dict[str, str] = {
}

FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md requirements.lock ./
COPY identity ./identity
COPY schema ./schema
COPY migrations ./migrations
RUN pip install --no-cache-dir --require-hashes -r requirements.lock \
    && pip install --no-cache-dir --no-deps . \
    && useradd --system --uid 10001 identity
USER identity
ENV IDENTITY_ENV=production
EXPOSE 8000
CMD ["identity", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
